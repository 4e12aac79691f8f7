/* Emulated libbmcv: the image subset SimClrV2.Sophon's BMCV preprocessing uses, with the vendor's
 * rules: formats and data types, stride rules (VPP strides 64-byte aligned, convert_to output stride
 * equal to the width), size limits, images destroyed exactly once, attached memory not owned.
 * VPP resizes bilinearly: src = (dst + 0.5) * in/out - 0.5, clamped to the image, weights in float,
 * rounded to nearest (the same arithmetic as the library's CPU resize, so both paths agree). */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <jpeglib.h>

#include "emu.h"

enum { FMT_YUV420P = 0, FMT_YUV422P = 1, FMT_YUV444P = 2, FMT_RGB_PLANAR = 8, FMT_BGR_PLANAR = 9, FMT_RGB_PACKED = 10, FMT_BGR_PACKED = 11, FMT_GRAY = 14 };
enum { IMG_FLOAT32 = 0, IMG_1N_BYTE = 1, IMG_1N_BYTE_SIGNED = 3 };

typedef struct image_private {
    uint32_t magic;
    bm_handle_t handle;
    int stride;             /* bytes per row of the (first) plane */
    int rows;               /* rows of that plane: h for packed, 3h for planar */
    size_t bytes;           /* all planes: Y, U, V tightly packed for the YUV formats */
    bm_device_mem_t mem;
    int has_mem;
    int owns_mem;
    struct image_private *next;
} image_private_t;

typedef struct {
    int width;
    int height;
    int image_format;
    int data_type;
    image_private_t *image_private;
} bm_image;

typedef struct { float alpha_0, beta_0, alpha_1, beta_1, alpha_2, beta_2; } bmcv_convert_to_attr;
typedef struct { int start_x, start_y, crop_w, crop_h; } bmcv_rect_t;
/* bmcv_padding_atrr_t (sic): the destination rectangle the image is resized into; the rest of the
 * output is filled with padding_r/g/b when if_memset is 1. */
typedef struct {
    unsigned int dst_crop_stx, dst_crop_sty, dst_crop_w, dst_crop_h;
    unsigned char padding_r, padding_g, padding_b;
    int if_memset;
} bmcv_padding_atrr_t;

_Static_assert(sizeof(bm_image) == 24, "bm_image is 24 bytes");
_Static_assert(sizeof(bmcv_convert_to_attr) == 24, "bmcv_convert_to_attr is 24 bytes");
_Static_assert(sizeof(bmcv_padding_atrr_t) == 24, "bmcv_padding_atrr_t is 24 bytes");

#define IMAGE_MAGIC 0x494d4147u /* "IMAG" */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static image_private_t *g_images; /* live images, to catch use after destroy and double destroy */
static char g_version[32] = "1.1.0"; /* the BM1684/BM1684X line (libsophon v0.4.x, v0.5.x) */

/* The bmcv line: "1.x" takes bm_image_destroy(bm_image) by value; the newer line (2.x and later,
 * for the BM1688/CV186X) takes bm_image_destroy(bm_image *). */
EMU_EXPORT const char *bm_get_bmcv_version(void) { return g_version; }

/* Test control: which bmcv line the emulator is (NULL: the BM1684X line). */
EMU_EXPORT void bm_emu_set_bmcv_version(const char *version)
{
    snprintf(g_version, sizeof g_version, "%s", version != NULL ? version : "1.1.0");
}

/* The chip's limits (libsophon's bm1684x VPP code; the BM1684's are smaller): sides, scale ratio per
 * pass, and the sides convert_to takes (on the BM1684X it runs on the VPP for 1N_BYTE input). */
typedef struct { int min_side, max_side, max_scale, convert_min, convert_max; } limits_t;

static limits_t chip_limits(void)
{
    if (bm_emu_chip() == 0x1684u) {
        return (limits_t){ 16, 4096, 32, 16, 2048 };
    }
    return (limits_t){ 8, 8192, 128, 8, 8192 };
}

static int is_planar(int format) { return format == FMT_RGB_PLANAR || format == FMT_BGR_PLANAR; }

static int is_yuv(int format) { return format == FMT_YUV420P || format == FMT_YUV422P || format == FMT_YUV444P || format == FMT_GRAY; }

/* Chroma plane size of a YUV format (0x0 for GRAY). */
static void chroma_size(int format, int w, int h, int *cw, int *ch)
{
    *cw = format == FMT_YUV444P ? w : format == FMT_GRAY ? 0 : (w + 1) / 2;
    *ch = format == FMT_YUV420P ? (h + 1) / 2 : format == FMT_GRAY ? 0 : h;
}

static int pixel_bytes(int data_type) { return data_type == IMG_FLOAT32 ? 4 : 1; }

static image_private_t *live(bm_image image, const char *fn)
{
    pthread_mutex_lock(&g_lock);
    image_private_t *found = NULL;
    for (image_private_t *p = g_images; p != NULL; p = p->next) {
        if (p == image.image_private) {
            found = p;
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (found == NULL || found->magic != IMAGE_MAGIC) {
        bm_emu_fatal("%s: bm_image %p was destroyed (or never created); destroy each bm_image exactly once and stop using it after", fn, (void *)image.image_private);
    }
    return found;
}

static size_t plane_bytes(const image_private_t *p) { return p->bytes; }

/* A new live image (no device memory yet). */
static bm_status_t register_image(bm_handle_t handle, int width, int height, int format, int data_type, int stride, int rows, size_t bytes, bm_image *image)
{
    image_private_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return BM_ERR_NOMEM;
    }
    p->magic = IMAGE_MAGIC;
    p->handle = handle;
    p->stride = stride;
    p->rows = rows;
    p->bytes = bytes;
    pthread_mutex_lock(&g_lock);
    p->next = g_images;
    g_images = p;
    pthread_mutex_unlock(&g_lock);
    image->width = width;
    image->height = height;
    image->image_format = format;
    image->data_type = data_type;
    image->image_private = p;
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bm_image_create(bm_handle_t handle, int height, int width, int format, int data_type, bm_image *image, int *stride)
{
    int status;
    if (image == NULL) {
        bm_emu_fatal("bm_image_create: image is NULL");
    }
    if (bm_emu_fault("bm_image_create", &status)) {
        return status;
    }
    if (handle == NULL || width < 1 || height < 1 || width > 8192 || height > 8192) {
        fprintf(stderr, "sophon-emulator: bm_image_create: bad handle or size %dx%d\n", width, height);
        return BM_ERR_PARAM;
    }
    if (is_yuv(format) && data_type == IMG_1N_BYTE) {
        /* The YUV formats of the JPEG decoder's output: planes tightly packed, strides = widths. */
        int cw, ch;
        chroma_size(format, width, height, &cw, &ch);
        return register_image(handle, width, height, format, data_type, width, height, (size_t)width * (size_t)height + 2 * (size_t)cw * (size_t)ch, image);
    }
    if (format < FMT_RGB_PLANAR || format > FMT_BGR_PACKED || (data_type != IMG_FLOAT32 && data_type != IMG_1N_BYTE && data_type != IMG_1N_BYTE_SIGNED)) {
        fprintf(stderr, "sophon-emulator: bm_image_create: format %d / data type %d not supported by the emulator\n", format, data_type);
        return BM_NOT_SUPPORTED;
    }
    int min_stride = width * pixel_bytes(data_type) * (is_planar(format) ? 1 : 3);
    int row_bytes = stride != NULL ? stride[0] : min_stride;
    if (row_bytes < min_stride) {
        fprintf(stderr, "sophon-emulator: bm_image_create: stride %d < %d bytes per row\n", row_bytes, min_stride);
        return BM_ERR_PARAM;
    }
    int rows = is_planar(format) ? 3 * height : height;
    return register_image(handle, width, height, format, data_type, row_bytes, rows, (size_t)row_bytes * (size_t)rows, image);
}

EMU_EXPORT bm_status_t bm_image_destroy(bm_image image)
{
    if (atoi(g_version) >= 2) {
        /* On the newer line the first argument is a bm_image*: a by-value call hands it garbage. */
        bm_emu_fatal("bm_image_destroy: bmcv %s takes bm_image_destroy(bm_image *); the by-value call corrupts memory", g_version);
    }
    image_private_t *p = live(image, "bm_image_destroy");
    pthread_mutex_lock(&g_lock);
    for (image_private_t **link = &g_images; *link != NULL; link = &(*link)->next) {
        if (*link == p) {
            *link = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (p->has_mem && p->owns_mem) {
        bm_free_device(p->handle, p->mem);
    }
    p->magic = 0;
    free(p);
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bm_image_alloc_dev_mem(bm_image image, int heap_id)
{
    (void)heap_id;
    int status;
    image_private_t *p = live(image, "bm_image_alloc_dev_mem");
    if (bm_emu_fault("bm_image_alloc_dev_mem", &status)) {
        return status;
    }
    if (p->has_mem) {
        fprintf(stderr, "sophon-emulator: bm_image_alloc_dev_mem: the image already has device memory\n");
        return BM_ERR_FAILURE;
    }
    status = bm_malloc_device_byte(p->handle, &p->mem, (unsigned int)plane_bytes(p));
    if (status == BM_SUCCESS) {
        p->has_mem = 1;
        p->owns_mem = 1;
    }
    return status;
}

EMU_EXPORT bm_status_t bm_image_attach(bm_image image, bm_device_mem_t *mems)
{
    int status;
    image_private_t *p = live(image, "bm_image_attach");
    if (mems == NULL) {
        bm_emu_fatal("bm_image_attach: device memory array is NULL");
    }
    if (bm_emu_fault("bm_image_attach", &status)) {
        return status;
    }
    uint32_t capacity = 0;
    if (bm_emu_lookup(p->handle, mems[0].device_addr, &capacity) == NULL || capacity < plane_bytes(p) || mems[0].size < plane_bytes(p)) {
        fprintf(stderr, "sophon-emulator: bm_image_attach: memory is not on this device or smaller than the image's %zu bytes\n", plane_bytes(p));
        return BM_ERR_PARAM;
    }
    if (p->has_mem && p->owns_mem) {
        bm_free_device(p->handle, p->mem);
    }
    p->mem = mems[0];
    p->has_mem = 1;
    p->owns_mem = 0; /* attached memory stays its owner's */
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bm_image_get_device_mem(bm_image image, bm_device_mem_t *mems)
{
    image_private_t *p = live(image, "bm_image_get_device_mem");
    if (mems == NULL) {
        bm_emu_fatal("bm_image_get_device_mem: output array is NULL");
    }
    if (!p->has_mem) {
        return BM_ERR_FAILURE;
    }
    mems[0] = p->mem;
    return BM_SUCCESS;
}

static unsigned char *image_data(image_private_t *p, const char *fn)
{
    uint32_t capacity = 0;
    unsigned char *data = p->has_mem ? bm_emu_lookup(p->handle, p->mem.device_addr, &capacity) : NULL;
    if (data == NULL || capacity < plane_bytes(p)) {
        fprintf(stderr, "sophon-emulator: %s: the image has no (live) device memory\n", fn);
        return NULL;
    }
    return data;
}

EMU_EXPORT bm_status_t bm_image_copy_host_to_device(bm_image image, void *buffers[])
{
    int status;
    image_private_t *p = live(image, "bm_image_copy_host_to_device");
    if (buffers == NULL || buffers[0] == NULL) {
        bm_emu_fatal("bm_image_copy_host_to_device: buffer is NULL");
    }
    if (bm_emu_fault("bm_image_copy_host_to_device", &status)) {
        return status;
    }
    unsigned char *data = image_data(p, "bm_image_copy_host_to_device");
    if (data == NULL) {
        return BM_ERR_FAILURE;
    }
    memcpy(data, buffers[0], plane_bytes(p)); /* host layout: the image's stride, one plane */
    return BM_SUCCESS;
}

/* Channel c of pixel (x, y), for 1N_BYTE packed or planar images. */
static unsigned char at(const unsigned char *d, const bm_image *img, int stride, int x, int y, int c)
{
    if (is_planar(img->image_format)) {
        return d[(size_t)(c * img->height + y) * stride + x];
    }
    return d[(size_t)y * stride + x * 3 + c];
}

/* Source position of destination index d: (d + 0.5) * scale - 0.5, clamped to the image; the two
 * neighbours and the weight of the second (the library's CPU resize does the same arithmetic). */
static float source_coord(int d, float scale, int size, int *first, int *second)
{
    float f = ((float)d + 0.5f) * scale - 0.5f;
    if (f < 0.0f) {
        f = 0.0f;
    }
    int i = (int)f;
    if (i > size - 1) {
        i = size - 1;
    }
    *first = i;
    *second = i + 1 < size ? i + 1 : size - 1;
    return f - (float)i;
}

static unsigned char clamp_byte(float v) { return (unsigned char)(v < 0.f ? 0 : v > 255.f ? 255 : (int)(v + 0.5f)); }

/* Packed RGB of a YUV420P/422P/444P or GRAY image (planes tightly packed). */
static unsigned char *yuv_to_rgb(const unsigned char *yuv, const bm_image *img)
{
    int w = img->width, h = img->height, cw, ch;
    chroma_size(img->image_format, w, h, &cw, &ch);
    const unsigned char *yp = yuv, *up = yuv + (size_t)w * h, *vp = up + (size_t)cw * ch;
    unsigned char *rgb = malloc((size_t)w * h * 3);
    if (rgb == NULL) {
        bm_emu_fatal("out of memory converting a YUV image");
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            float Y = yp[(size_t)y * w + x], U = 128.f, V = 128.f;
            if (img->image_format != FMT_GRAY) {
                int cx = img->image_format == FMT_YUV444P ? x : x / 2, cy = img->image_format == FMT_YUV420P ? y / 2 : y;
                U = up[(size_t)cy * cw + cx];
                V = vp[(size_t)cy * cw + cx];
            }
            unsigned char *o = rgb + ((size_t)y * w + x) * 3;
            o[0] = clamp_byte(Y + 1.402f * (V - 128.f));
            o[1] = clamp_byte(Y - 0.344136f * (U - 128.f) - 0.714136f * (V - 128.f));
            o[2] = clamp_byte(Y + 1.772f * (U - 128.f));
        }
    }
    return rgb;
}

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} jpeg_error_t;

static void jpeg_error_exit(j_common_ptr cinfo)
{
    longjmp(((jpeg_error_t *)cinfo->err)->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level) { (void)cinfo; (void)level; }

/* Decodes one JPEG into a new YUV bm_image in the stream's own format (as the JPU does); the caller
 * destroys it. BM_ERR_DATA for a stream libjpeg cannot decode. */
static bm_status_t jpeg_decode_one(bm_handle_t handle, const unsigned char *data, size_t size, bm_image *out)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_error_t err;
    unsigned char *volatile full = NULL; /* volatile: read after longjmp */
    volatile int created = 0;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit;
    err.mgr.emit_message = jpeg_quiet;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(full);
        if (created) {
            bm_image_destroy(*out);
            memset(out, 0, sizeof *out);
        }
        fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: not a decodable JPEG\n");
        return BM_ERR_DATA;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    int format;
    if (cinfo.num_components == 1) {
        format = FMT_GRAY;
    } else if (cinfo.num_components == 3 && cinfo.jpeg_color_space == JCS_YCbCr) {
        int hs = cinfo.comp_info[0].h_samp_factor, vs = cinfo.comp_info[0].v_samp_factor;
        format = hs == 2 && vs == 2 ? FMT_YUV420P : hs == 2 && vs == 1 ? FMT_YUV422P : hs == 1 && vs == 1 ? FMT_YUV444P : -1;
    } else {
        format = -1;
    }
    if (format < 0) {
        jpeg_destroy_decompress(&cinfo);
        fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: the emulator decodes YCbCr 4:2:0/4:2:2/4:4:4 and greyscale JPEGs only\n");
        return BM_NOT_SUPPORTED;
    }
    cinfo.out_color_space = format == FMT_GRAY ? JCS_GRAYSCALE : JCS_YCbCr; /* no colour conversion: the planes */
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height, n = cinfo.output_components;
    if (bm_image_create(handle, h, w, format, IMG_1N_BYTE, out, NULL) != BM_SUCCESS) {
        jpeg_destroy_decompress(&cinfo);
        return BM_ERR_PARAM;
    }
    created = 1;
    if (bm_image_alloc_dev_mem(*out, 2) != BM_SUCCESS) {
        longjmp(err.jump, 1);
    }
    full = malloc((size_t)w * h * n);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = full + (size_t)cinfo.output_scanline * w * n;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    /* The planes: Y as decoded, chroma averaged back to the stream's sampling. */
    unsigned char *planes = image_data(out->image_private, "bmcv_image_jpeg_dec");
    int cw, ch;
    chroma_size(format, w, h, &cw, &ch);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        planes[i] = full[i * n];
    }
    for (int c = 1; c < n; c++) {
        unsigned char *plane = planes + (size_t)w * h + (size_t)(c - 1) * cw * ch;
        int fx = w / cw > 1 ? 2 : 1, fy = ch < h ? 2 : 1;
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                int sum = 0, count = 0;
                for (int dy = 0; dy < fy && y * fy + dy < h; dy++) {
                    for (int dx = 0; dx < fx && x * fx + dx < w; dx++) {
                        sum += full[((size_t)(y * fy + dy) * w + (size_t)(x * fx + dx)) * n + c];
                        count++;
                    }
                }
                plane[(size_t)y * cw + x] = (unsigned char)((sum + count / 2) / count);
            }
        }
    }
    free(full);
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bmcv_image_jpeg_dec(bm_handle_t handle, void *p_jpeg_data[], size_t *in_size, int image_num, bm_image *dst, int bs_in_device)
{
    int status;
    if (p_jpeg_data == NULL || in_size == NULL || dst == NULL) {
        bm_emu_fatal("bmcv_image_jpeg_dec: NULL argument");
    }
    if (bm_emu_fault("bmcv_image_jpeg_dec", &status)) {
        return status;
    }
    if (image_num < 1 || image_num > 4 || bs_in_device != 0) {
        fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: 1..4 images from host memory, got %d (bs_in_device %d)\n", image_num, bs_in_device);
        return BM_ERR_PARAM;
    }
    for (int i = 0; i < image_num; i++) {
        if (dst[i].image_private != NULL) {
            fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: the emulator creates dst itself; pass zero-filled bm_images\n");
            return BM_NOT_SUPPORTED;
        }
    }
    for (int i = 0; i < image_num; i++) {
        bm_status_t s = p_jpeg_data[i] == NULL || in_size[i] < 4 ? BM_ERR_DATA : jpeg_decode_one(handle, p_jpeg_data[i], in_size[i], &dst[i]);
        if (s != BM_SUCCESS) {
            for (int k = 0; k < i; k++) { /* all or nothing */
                bm_image_destroy(dst[k]);
                memset(&dst[k], 0, sizeof dst[k]);
            }
            return s;
        }
    }
    return BM_SUCCESS;
}

/* One VPP pass: the crop rectangle of the input (the whole input when crop is NULL) resized into
 * the destination rectangle of the output (the whole output when padding is NULL; else the rest is
 * filled with the padding colour when if_memset is 1), converting the colour format. The BM1684X
 * VPP offers NEAREST (0) and LINEAR (1) only: BICUBIC (2) is refused with BM_ERR_PARAM, as
 * libbmcv's check_bm1684x_vpp_param does. */
static bm_status_t vpp_pass(const char *fn, int output_num, bm_image input, bm_image *output, bmcv_rect_t *crop, bmcv_padding_atrr_t *padding, int algorithm)
{
    int status;
    if (output == NULL) {
        bm_emu_fatal("%s: output is NULL", fn);
    }
    image_private_t *in = live(input, fn);
    image_private_t *out = live(output[0], fn);
    if (bm_emu_fault(fn, &status)) {
        return status;
    }
    if (output_num != 1) {
        fprintf(stderr, "sophon-emulator: %s: the emulator supports one output\n", fn);
        return BM_NOT_SUPPORTED;
    }
    if (algorithm != 0 && algorithm != 1) {
        fprintf(stderr, "sophon-emulator: %s: vpp not support algorithm %d (NEAREST 0 and LINEAR 1 only)\n", fn, algorithm);
        return BM_ERR_PARAM;
    }
    if (input.data_type != IMG_1N_BYTE || output[0].data_type != IMG_1N_BYTE || !is_planar(output[0].image_format)) {
        fprintf(stderr, "sophon-emulator: %s: 1N_BYTE input, 1N_BYTE planar output expected\n", fn);
        return BM_NOT_SUPPORTED;
    }
    if (!is_yuv(input.image_format) && in->stride % 64 != 0) {
        fprintf(stderr, "sophon-emulator: %s: input stride %d must be 64-byte aligned\n", fn, in->stride);
        return BM_ERR_PARAM;
    }
    if (out->stride % 64 != 0) {
        fprintf(stderr, "sophon-emulator: %s: strides %d and %d must be 64-byte aligned\n", fn, in->stride, out->stride);
        return BM_ERR_PARAM;
    }
    int iw = input.width, ih = input.height, ow = output[0].width, oh = output[0].height;
    int cx = 0, cy = 0, cw = iw, ch = ih;
    if (crop != NULL) {
        cx = crop->start_x, cy = crop->start_y, cw = crop->crop_w, ch = crop->crop_h;
        if (cx < 0 || cy < 0 || cw < 1 || ch < 1 || cx + cw > iw || cy + ch > ih) {
            fprintf(stderr, "sophon-emulator: %s: crop (%d,%d %dx%d) is outside the %dx%d input\n", fn, cx, cy, cw, ch, iw, ih);
            return BM_ERR_PARAM;
        }
    }
    int dx = 0, dy = 0, dw = ow, dh = oh;
    if (padding != NULL) {
        dx = (int)padding->dst_crop_stx, dy = (int)padding->dst_crop_sty, dw = (int)padding->dst_crop_w, dh = (int)padding->dst_crop_h;
        if (dw < 1 || dh < 1 || dx + dw > ow || dy + dh > oh) {
            fprintf(stderr, "sophon-emulator: %s: destination (%d,%d %dx%d) is outside the %dx%d output\n", fn, dx, dy, dw, dh, ow, oh);
            return BM_ERR_PARAM;
        }
    }
    limits_t l = chip_limits();
    if (iw < l.min_side || ih < l.min_side || ow < l.min_side || oh < l.min_side || iw > l.max_side || ih > l.max_side || ow > l.max_side || oh > l.max_side
        || cw > l.max_scale * dw || dw > l.max_scale * cw || ch > l.max_scale * dh || dh > l.max_scale * ch) {
        fprintf(stderr, "sophon-emulator: %s: %dx%d (crop %dx%d) -> %dx%d (into %dx%d) is outside %d..%d or a scale of %d\n", fn, iw, ih, cw, ch, ow, oh, dw, dh, l.min_side, l.max_side, l.max_scale);
        return BM_ERR_PARAM;
    }
    unsigned char *src = image_data(in, fn);
    unsigned char *dst = image_data(out, fn);
    if (src == NULL || dst == NULL) {
        return BM_ERR_FAILURE;
    }
    unsigned char *rgb = NULL;
    bm_image view = input;
    int in_stride = in->stride;
    if (is_yuv(input.image_format)) {
        /* Colour conversion first, as the VPP does it; where the vendor's documents are silent,
         * JFIF full-range BT.601 (what libjpeg produces), then the same resize. */
        rgb = yuv_to_rgb(src, &input);
        src = rgb;
        view.image_format = FMT_RGB_PACKED;
        in_stride = iw * 3;
    }
    int bgr_out = output[0].image_format == FMT_BGR_PLANAR;
    int swap = (is_planar(view.image_format) ? view.image_format == FMT_BGR_PLANAR : view.image_format == FMT_BGR_PACKED) != bgr_out;
    if (padding != NULL && padding->if_memset == 1) {
        unsigned char fill[3] = { padding->padding_r, padding->padding_g, padding->padding_b };
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < oh; y++) {
                memset(dst + (size_t)(c * oh + y) * out->stride, fill[bgr_out ? 2 - c : c], (size_t)ow);
            }
        }
    }
    float sx = (float)cw / (float)dw, sy = (float)ch / (float)dh;
    for (int y = 0; y < dh; y++) {
        int y0, y1, ny = (int)((float)y * sy);
        float wy = source_coord(y, sy, ch, &y0, &y1);
        for (int x = 0; x < dw; x++) {
            int x0, x1, nx = (int)((float)x * sx);
            float wx = source_coord(x, sx, cw, &x0, &x1);
            for (int c = 0; c < 3; c++) {
                int sc = swap ? 2 - c : c, q;
                if (algorithm == 0) {
                    q = at(src, &view, in_stride, cx + (nx < cw ? nx : cw - 1), cy + (ny < ch ? ny : ch - 1), sc);
                } else {
                    float top = (1.0f - wx) * (float)at(src, &view, in_stride, cx + x0, cy + y0, sc) + wx * (float)at(src, &view, in_stride, cx + x1, cy + y0, sc);
                    float bottom = (1.0f - wx) * (float)at(src, &view, in_stride, cx + x0, cy + y1, sc) + wx * (float)at(src, &view, in_stride, cx + x1, cy + y1, sc);
                    float v = (1.0f - wy) * top + wy * bottom;
                    q = (int)(v + 0.5f);
                }
                dst[(size_t)(c * oh + dy + y) * out->stride + dx + x] = (unsigned char)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
    free(rgb);
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bmcv_image_vpp_convert(bm_handle_t handle, int output_num, bm_image input, bm_image *output, bmcv_rect_t *crop, int algorithm)
{
    (void)handle;
    return vpp_pass("bmcv_image_vpp_convert", output_num, input, output, crop, NULL, algorithm);
}

EMU_EXPORT bm_status_t bmcv_image_vpp_convert_padding(bm_handle_t handle, int output_num, bm_image input, bm_image *output, bmcv_padding_atrr_t *padding_attr, bmcv_rect_t *crop_rect, int algorithm)
{
    (void)handle;
    if (padding_attr == NULL) {
        bm_emu_fatal("bmcv_image_vpp_convert_padding: padding_attr is NULL");
    }
    return vpp_pass("bmcv_image_vpp_convert_padding", output_num, input, output, crop_rect, padding_attr, algorithm);
}

EMU_EXPORT bm_status_t bmcv_image_convert_to(bm_handle_t handle, int input_num, bmcv_convert_to_attr attr, bm_image *input, bm_image *output)
{
    int status;
    (void)handle;
    if (input == NULL || output == NULL) {
        bm_emu_fatal("bmcv_image_convert_to: NULL image array");
    }
    if (bm_emu_fault("bmcv_image_convert_to", &status)) {
        return status;
    }
    float alpha[3] = { attr.alpha_0, attr.alpha_1, attr.alpha_2 }, beta[3] = { attr.beta_0, attr.beta_1, attr.beta_2 };
    for (int n = 0; n < input_num; n++) {
        image_private_t *in = live(input[n], "bmcv_image_convert_to");
        image_private_t *out = live(output[n], "bmcv_image_convert_to");
        int w = input[n].width, h = input[n].height;
        limits_t l = chip_limits();
        if (w < l.convert_min || h < l.convert_min || w > l.convert_max || h > l.convert_max || output[n].width != w || output[n].height != h) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: sizes %dx%d -> %dx%d (%d..%d, equal) not supported\n", w, h, output[n].width, output[n].height, l.convert_min, l.convert_max);
            return BM_ERR_PARAM;
        }
        if (!is_planar(input[n].image_format) || input[n].image_format != output[n].image_format || input[n].data_type != IMG_1N_BYTE
            || (output[n].data_type != IMG_FLOAT32 && output[n].data_type != IMG_1N_BYTE_SIGNED)) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: planar 1N_BYTE to planar FLOAT32 or 1N_BYTE_SIGNED expected\n");
            return BM_NOT_SUPPORTED;
        }
        if (out->stride != w * pixel_bytes(output[n].data_type)) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: output stride %d must equal the width\n", out->stride);
            return BM_ERR_PARAM;
        }
        unsigned char *src = image_data(in, "bmcv_image_convert_to");
        unsigned char *dst = image_data(out, "bmcv_image_convert_to");
        if (src == NULL || dst == NULL) {
            return BM_ERR_FAILURE;
        }
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = alpha[c] * (float)src[(size_t)(c * h + y) * in->stride + x] + beta[c];
                    size_t i = (size_t)(c * h + y) * w + x;
                    if (output[n].data_type == IMG_FLOAT32) {
                        memcpy(dst + i * 4, &v, 4);
                    } else {
                        float r = nearbyintf(v);
                        dst[i] = (unsigned char)(int8_t)(r < -128.0f ? -128 : r > 127.0f ? 127 : (int)r);
                    }
                }
            }
        }
    }
    return BM_SUCCESS;
}
