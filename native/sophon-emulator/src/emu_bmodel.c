/* Verification of the bmodel container's header and its flatbuffer (see emu_bmodel.h), the rules of
 * tpu-bmodel/src/bmodel.cpp's ModelCtx constructors and of the FlatBuffers verifier they run
 * (bmodel::VerifyModelBuffer over model.fbs): every field of Model and Net the vtable has is checked
 * for its type (scalars inside the table and aligned, tables, strings, vectors of tables). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "emu_bmodel.h"

typedef struct {
    const unsigned char *b;
    size_t n;
} fb_t;

static uint32_t u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A table at t: its vtable in bounds and aligned, its inline size in bounds. */
static int table_ok(const fb_t *fb, size_t t, size_t *vt, size_t *vt_size, size_t *tbl_size)
{
    if (t % 4 != 0 || t + 4 > fb->n) {
        return 0;
    }
    int64_t v = (int64_t)t - (int32_t)u32(fb->b + t);
    if (v < 0 || v % 2 != 0 || (size_t)v + 4 > fb->n) {
        return 0;
    }
    *vt = (size_t)v;
    *vt_size = u16(fb->b + *vt);
    *tbl_size = u16(fb->b + *vt + 2);
    return *vt_size >= 4 && *vt_size % 2 == 0 && *vt + *vt_size <= fb->n && *tbl_size >= 4 && t + *tbl_size <= fb->n;
}

/* The position a uoffset field of table t points to; 0 when absent or out of bounds. */
static size_t field_target(const fb_t *fb, size_t t, int id)
{
    size_t vt, vt_size, tbl_size;
    if (!table_ok(fb, t, &vt, &vt_size, &tbl_size) || 4u + 2u * (size_t)id + 2u > vt_size) {
        return 0;
    }
    size_t fo = u16(fb->b + vt + 4 + 2 * id);
    if (fo == 0 || fo + 4 > tbl_size) {
        return 0;
    }
    size_t p = t + fo;
    if (p % 4 != 0) {
        return 0;
    }
    size_t target = p + u32(fb->b + p);
    return target > p && target % 4 == 0 && target + 4 <= fb->n ? target : 0;
}

/* A required string field: length in bounds and NUL-terminated. */
static const char *string_field(const fb_t *fb, size_t t, int id, size_t *len)
{
    size_t s = field_target(fb, t, id);
    if (s == 0) {
        return NULL;
    }
    size_t l = u32(fb->b + s);
    if (l > fb->n || s + 4 + l + 1 > fb->n || fb->b[s + 4 + l] != 0) {
        return NULL;
    }
    *len = l;
    return (const char *)fb->b + s + 4;
}

/* Field id of table t: -1 when the vtable or the field's place is broken, 0 when absent, 1 when present (its offset in *fo). */
static int field_slot(const fb_t *fb, size_t t, int id, size_t *fo)
{
    size_t vt, vt_size, tbl_size;
    if (!table_ok(fb, t, &vt, &vt_size, &tbl_size)) {
        return -1;
    }
    if (4u + 2u * (size_t)id + 2u > vt_size) {
        return 0;
    }
    *fo = u16(fb->b + vt + 4 + 2 * id);
    return *fo == 0 ? 0 : *fo + 1 > tbl_size ? -1 : 1;
}

/* A scalar field of `size` bytes: inside the table's inline size and aligned (Verifier::VerifyField). */
static int scalar_ok(const fb_t *fb, size_t t, int id, size_t size)
{
    size_t fo = 0, vt, vt_size, tbl_size;
    int present = field_slot(fb, t, id, &fo);
    if (present <= 0) {
        return present == 0;
    }
    table_ok(fb, t, &vt, &vt_size, &tbl_size);
    return fo + size <= tbl_size && (t + fo) % size == 0;
}

/* An optional uoffset field: 0 when absent, 1 with *target when present and in bounds, -1 when broken. */
static int optional_target(const fb_t *fb, size_t t, int id, size_t *target)
{
    size_t fo = 0;
    int present = field_slot(fb, t, id, &fo);
    if (present <= 0) {
        return present;
    }
    *target = field_target(fb, t, id);
    return *target != 0 ? 1 : -1;
}

/* An optional table field: a sound table when present. */
static int table_field_ok(const fb_t *fb, size_t t, int id)
{
    size_t target = 0, vt, vt_size, tbl_size;
    int present = optional_target(fb, t, id, &target);
    return present == 0 || (present == 1 && table_ok(fb, target, &vt, &vt_size, &tbl_size));
}

/* An optional vector of tables: the vector inside the buffer, each element a sound table. */
static int table_vector_ok(const fb_t *fb, size_t t, int id)
{
    size_t v = 0, vt, vt_size, tbl_size;
    int present = optional_target(fb, t, id, &v);
    if (present <= 0) {
        return present == 0;
    }
    uint32_t count = u32(fb->b + v);
    if (count > (fb->n - v - 4) / 4) {
        return 0;
    }
    for (uint32_t i = 0; i < count; i++) {
        size_t p = v + 4 + 4 * (size_t)i;
        size_t e = p + u32(fb->b + p);
        if (e <= p || e >= fb->n || !table_ok(fb, e, &vt, &vt_size, &tbl_size)) {
            return 0;
        }
    }
    return 1;
}

/* The fields of model.fbs's Model (5 neuron_size:uint64, 6 kernel_module, 7 device_num:uint32,
 * 8 cpuop_module) and Net (1-3 vectors of tables, 4 cascade, 5 addr_mode:int32) besides the
 * required ones checked below. */
static int model_fields_ok(const fb_t *fb, size_t root)
{
    return scalar_ok(fb, root, 5, 8) && table_field_ok(fb, root, 6) && scalar_ok(fb, root, 7, 4) && table_field_ok(fb, root, 8);
}

static int net_fields_ok(const fb_t *fb, size_t net)
{
    return table_vector_ok(fb, net, 1) && table_vector_ok(fb, net, 2) && table_vector_ok(fb, net, 3) && table_field_ok(fb, net, 4) && scalar_ok(fb, net, 5, 4);
}

int emu_bmodel_check(const unsigned char *data, size_t size, emu_bmodel_t *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (size <= EMU_BMODEL_HEADER_SIZE) {
        snprintf(why, why_size, "Bmodel data is broken .");
        return -1;
    }
    uint32_t magic = u32(data), header_size = u32(data + 4), fb_size = u32(data + 8);
    uint64_t binary_size = (uint64_t)u32(data + 12) | (uint64_t)u32(data + 16) << 32;
    if (magic != EMU_BMODEL_MAGIC) {
        snprintf(why, why_size, "Bmodel data is broken ..");
        return -1;
    }
    if (header_size < EMU_BMODEL_HEADER_SIZE || (uint64_t)header_size + fb_size + binary_size > size) {
        snprintf(why, why_size, "Bmodel data is broken ...");
        return -1;
    }
    fb_t fb = { data + header_size, fb_size };
    size_t root = fb.n >= 8 ? u32(fb.b) : 0, len = 0;
    size_t vt, vt_size, tbl_size;
    int ok = root != 0 && table_ok(&fb, root, &vt, &vt_size, &tbl_size);
    for (int id = 0; ok && id < 4; id++) {
        const char *s = string_field(&fb, root, id, &len);
        ok = s != NULL;
        if (ok && id == 3) {
            out->chip = s;
            out->chip_len = len;
        }
    }
    ok = ok && model_fields_ok(&fb, root);
    size_t nets = ok ? field_target(&fb, root, 4) : 0;
    uint32_t count = nets != 0 ? u32(fb.b + nets) : 0;
    ok = ok && nets != 0 && count >= 1 && count <= (fb.n - nets - 4) / 4;
    for (uint32_t i = 0; ok && i < count; i++) {
        size_t p = nets + 4 + 4 * (size_t)i;
        size_t net = p + u32(fb.b + p);
        const char *name = net > p && net < fb.n ? string_field(&fb, net, 0, &len) : NULL;
        ok = name != NULL && net_fields_ok(&fb, net);
        if (ok && i == 0) {
            out->net_name = name;
            out->net_name_len = len;
        }
    }
    if (!ok) {
        snprintf(why, why_size, "Model data is broken ....");
        return -1;
    }
    out->net_count = (int)count;
    out->binary = data + header_size + fb_size;
    out->binary_size = (size_t)binary_size;
    return 0;
}
