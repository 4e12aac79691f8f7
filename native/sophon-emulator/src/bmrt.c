/* Emulated libbmrt: loads emulated bmodels, reports network info with the vendor's layouts
 * (>= v0.5.1: 32-byte stages, bmrt_create_ex exported), validates launches like the real runtime
 * (returns false) or aborts where the real one would throw a C++ exception, and runs the network
 * through ONNX Runtime when the launching thread calls bm_thread_sync. */
#define _GNU_SOURCE
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <onnxruntime_c_api.h>

#include "emu.h"
#include "emu_bmodel.h"
#include "emu_model.h"

_Static_assert(sizeof(bm_shape_t) == 36, "bm_shape_t is 36 bytes");
_Static_assert(sizeof(bm_tensor_t) == 72, "bm_tensor_t is 72 bytes");
_Static_assert(offsetof(bm_tensor_t, device_mem) == 40, "device_mem at 40");
_Static_assert(offsetof(bm_tensor_t, st_mode) == 64, "st_mode at 64");
#ifdef EMU_LEGACY_STAGES
_Static_assert(sizeof(bm_stage_info_t) == 16, "bm_stage_info_t is 16 bytes (libsophon <= 0.5.0)");
#else
_Static_assert(sizeof(bm_stage_info_t) == 32, "bm_stage_info_t is 32 bytes (libsophon >= 0.5.1)");
#endif
_Static_assert(offsetof(bm_net_info_t, is_dynamic) == 8, "is_dynamic at 8");
_Static_assert(offsetof(bm_net_info_t, input_num) == 12, "input_num at 12");
_Static_assert(offsetof(bm_net_info_t, output_num) == 40, "output_num at 40");
_Static_assert(offsetof(bm_net_info_t, stage_num) == 72, "stage_num at 72");
_Static_assert(offsetof(bm_net_info_t, max_output_bytes) == 96, "max_output_bytes at 96");
_Static_assert(offsetof(bm_net_info_t, output_zero_point) == 112, "output_zero_point at 112");

typedef struct net {
    emu_model_t model;
    bm_net_info_t info;
    const char *input_names[1], *output_names[EMU_MAX_OUTPUTS];
    int input_dtypes[1], output_dtypes[EMU_MAX_OUTPUTS];
    float input_scales[1], output_scales[EMU_MAX_OUTPUTS];
    int input_zero_points[1], output_zero_points[EMU_MAX_OUTPUTS];
    bm_stage_info_t stages[EMU_MAX_STAGES];
    bm_device_mem_t stage_mems[EMU_MAX_STAGES][1 + EMU_MAX_OUTPUTS];
    size_t max_input_bytes[1], max_output_bytes[EMU_MAX_OUTPUTS];
    OrtSession *session;
    struct net *next;
} net_t;

typedef struct runtime {
    uint32_t magic;
    bm_handle_t handle;
    net_t *nets;
    int launches_pending;
    pthread_mutex_t lock;
} runtime_t;

#define RUNTIME_MAGIC 0x424d5254u /* "BMRT" */

static const OrtApi *g_ort;
static OrtEnv *g_env;
static pthread_once_t g_ort_once = PTHREAD_ONCE_INIT;

static void ort_init(void)
{
    g_ort = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (g_ort == NULL) {
        bm_emu_fatal("ONNX Runtime does not provide API version %d", ORT_API_VERSION);
    }
    OrtStatus *s = g_ort->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "sophon-emulator", &g_env);
    if (s != NULL) {
        bm_emu_fatal("ONNX Runtime CreateEnv failed: %s", g_ort->GetErrorMessage(s));
    }
}

static int ort_check(OrtStatus *s, const char *what)
{
    if (s == NULL) {
        return 0;
    }
    printf("[BMRT][emulator] %s: %s\n", what, g_ort->GetErrorMessage(s));
    g_ort->ReleaseStatus(s);
    return -1;
}

static runtime_t *check_runtime(void *p, const char *fn)
{
    runtime_t *rt = p;
    if (rt == NULL || rt->magic != RUNTIME_MAGIC) {
        bm_emu_fatal("%s: invalid runtime %p (NULL, destroyed, or not from bmrt_create)", fn, p);
    }
    return rt;
}

static size_t dtype_size(int dtype, const char *fn)
{
    switch (dtype) {
    case DT_FLOAT32: case DT_INT32: case DT_UINT32: return 4;
    case DT_FLOAT16: case DT_BFLOAT16: case DT_INT16: return 2;
    case DT_INT8: case DT_UINT8: case DT_INT4: case DT_UINT4: return 1;
    default:
        /* The real size helpers throw std::runtime_error here (UINT16 included). */
        bm_emu_fatal("%s: data type %d has no size (the vendor runtime throws a C++ exception)", fn, dtype);
    }
}

static size_t shape_count(const bm_shape_t *s, const char *fn)
{
    if (s->num_dims < 0 || s->num_dims > 8) {
        bm_emu_fatal("%s: num_dims %d is outside 0..8 (the vendor runtime throws a C++ exception)", fn, s->num_dims);
    }
    size_t n = 1;
    for (int i = 0; i < s->num_dims; i++) {
        n *= (size_t)(s->dims[i] > 0 ? s->dims[i] : 0);
    }
    return n;
}

static int same_shape(const bm_shape_t *a, const bm_shape_t *b)
{
    if (a->num_dims != b->num_dims) {
        return 0;
    }
    for (int i = 0; i < a->num_dims; i++) {
        if (a->dims[i] != b->dims[i]) {
            return 0;
        }
    }
    return 1;
}

/* bmrt_create (tpu-runtime/src/bmruntime_interface.cpp): NULL when the chip id cannot be read or is
 * unknown, or the runtime cannot be made. */
EMU_EXPORT void *bmrt_create(bm_handle_t handle)
{
    int status;
    if (handle == NULL) {
        printf("[BMRT][bmrt_create] bm_handle is NULL\n");
        return NULL;
    }
    bm_emu_runtime_attach(handle, 0); /* validates the handle */
    if (bm_emu_fault("bmrt_create", &status)) {
        return NULL;
    }
    runtime_t *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        return NULL;
    }
    rt->magic = RUNTIME_MAGIC;
    rt->handle = handle;
    pthread_mutex_init(&rt->lock, NULL);
    bm_emu_runtime_attach(handle, 1);
    return rt;
}

#ifndef EMU_LEGACY_STAGES
/* Exported only by runtimes with the 32-byte stage layout; its presence tells the binding which. */
EMU_EXPORT void *bmrt_create_ex(bm_handle_t *handles, int num_handles)
{
    return num_handles == 1 && handles != NULL ? bmrt_create(handles[0]) : NULL;
}
#endif

/* bmrt_destroy (bmruntime_interface.cpp): NULL is a no-op; anything else is deleted (a second
 * destroy is a double delete: here an abort). */
EMU_EXPORT void bmrt_destroy(void *p)
{
    if (p == NULL) {
        return;
    }
    runtime_t *rt = check_runtime(p, "bmrt_destroy");
    for (net_t *n = rt->nets; n != NULL;) {
        net_t *next = n->next;
        if (n->session != NULL) {
            g_ort->ReleaseSession(n->session);
        }
        free(n);
        n = next;
    }
    bm_emu_runtime_attach(rt->handle, -1);
    rt->magic = 0;
    pthread_mutex_destroy(&rt->lock);
    free(rt);
}

static int load_text(runtime_t *rt, const emu_bmodel_t *bmodel, const char *base_dir, const char *fn)
{
    int status;
    if (bm_emu_fault(fn, &status)) {
        return 0;
    }
    char *text = calloc(1, bmodel->binary_size + 1);
    net_t *n = calloc(1, sizeof *n);
    if (text != NULL) {
        memcpy(text, bmodel->binary, bmodel->binary_size);
    }
    int parsed = text != NULL && n != NULL ? emu_model_parse(text, base_dir, &n->model) : -1;
    free(text);
    if (parsed == 0 && (strlen(n->model.net) != bmodel->net_name_len || strncmp(n->model.net, bmodel->net_name, bmodel->net_name_len) != 0)) {
        printf("[BMRT][%s] the emulated description's net '%s' is not the bmodel's net '%.*s'\n", fn, n->model.net, (int)bmodel->net_name_len, bmodel->net_name);
        parsed = -1;
    }
    if (parsed != 0) {
        free(n);
        return 0;
    }
    pthread_once(&g_ort_once, ort_init);
    OrtSessionOptions *options = NULL;
    if (ort_check(g_ort->CreateSessionOptions(&options), "CreateSessionOptions") != 0) {
        free(n);
        return 0;
    }
    if (ort_check(g_ort->SetIntraOpNumThreads(options, 1), "SetIntraOpNumThreads") != 0) {
        g_ort->ReleaseSessionOptions(options);
        free(n);
        return 0;
    }
    int failed = ort_check(g_ort->CreateSession(g_env, n->model.onnx, options, &n->session), n->model.onnx);
    g_ort->ReleaseSessionOptions(options);
    if (failed) {
        free(n);
        return 0;
    }
    emu_model_t *m = &n->model;
    bm_net_info_t *info = &n->info;
    n->input_names[0] = m->input_name;
    n->input_dtypes[0] = m->input_dtype;
    n->input_scales[0] = m->input_scale;
    for (int o = 0; o < m->output_num; o++) {
        n->output_names[o] = m->output_names[o];
        n->output_dtypes[o] = m->output_dtypes[o];
        n->output_scales[o] = m->output_scales[o];
        n->output_zero_points[o] = m->output_zero_points[o];
    }
    info->name = m->net;
    info->is_dynamic = false;
    info->input_num = 1;
    info->input_names = n->input_names;
    info->input_dtypes = n->input_dtypes;
    info->input_scales = n->input_scales;
    info->output_num = m->output_num;
    info->output_names = n->output_names;
    info->output_dtypes = n->output_dtypes;
    info->output_scales = n->output_scales;
    info->stage_num = m->stage_num;
    info->stages = n->stages;
    n->input_zero_points[0] = m->input_zero_point;
    info->input_zero_point = n->input_zero_points;
    info->output_zero_point = n->output_zero_points;
    for (int s = 0; s < m->stage_num; s++) {
        n->stages[s].input_shapes = &m->in_shapes[s];
        n->stages[s].output_shapes = m->out_shapes[s];
#ifndef EMU_LEGACY_STAGES
        n->stages[s].input_mems = &n->stage_mems[s][0];
        n->stages[s].output_mems = &n->stage_mems[s][1];
#endif
        size_t in_bytes = shape_count(&m->in_shapes[s], fn) * dtype_size(m->input_dtype, fn);
        n->max_input_bytes[0] = in_bytes > n->max_input_bytes[0] ? in_bytes : n->max_input_bytes[0];
        for (int o = 0; o < m->output_num; o++) {
            size_t out_bytes = shape_count(&m->out_shapes[s][o], fn) * dtype_size(m->output_dtypes[o], fn);
            n->max_output_bytes[o] = out_bytes > n->max_output_bytes[o] ? out_bytes : n->max_output_bytes[o];
        }
    }
    info->max_input_bytes = n->max_input_bytes;
    info->max_output_bytes = n->max_output_bytes;
    pthread_mutex_lock(&rt->lock);
    n->next = rt->nets;
    rt->nets = n;
    pthread_mutex_unlock(&rt->lock);
    return 1;
}

/* bmrt_load_bmodel (bmruntime_interface.cpp): a NULL runtime or an empty path is false; the file is
 * opened READ-WRITE (tpu-bmodel/src/bmodel.cpp, ModelCtx(const string&): ios::in | ios::out, no
 * read-only fallback), so a read-only file does not load; a container the verifier refuses throws,
 * which the interface turns into false. */
EMU_EXPORT bool bmrt_load_bmodel(void *p, const char *path)
{
    if (p == NULL || path == NULL || path[0] == '\0') {
        printf("[BMRT][bmrt_load_bmodel] bmrt handle is NULL or bmodel path is wrong.\n");
        return false;
    }
    runtime_t *rt = check_runtime(p, "bmrt_load_bmodel");
    FILE *f = fopen(path, "r+b");
    if (f == NULL) {
        printf("[BMODEL][ModelCtx:174] FATAL: File[%s] open failed.\n", path);
        printf("[BMRT][load_bmodel:1084] FATAL:Load model failed\n");
        return false;
    }
    unsigned char *data = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len > 0 && len <= (64L << 20) && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)len);
        if (data != NULL && fread(data, 1, (size_t)len, f) != (size_t)len) {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    emu_bmodel_t bmodel;
    char why[128];
    int ok = 0;
    if (data == NULL || emu_bmodel_check(data, (size_t)len, &bmodel, why, sizeof why) != 0) {
        printf("[BMODEL][ModelCtx] FATAL: File[%s] is broken (%s)\n", path, data == NULL ? "unreadable" : why);
    } else {
        char *dir_copy = strdup(path);
        ok = load_text(rt, &bmodel, dirname(dir_copy), "bmrt_load_bmodel");
        free(dir_copy);
    }
    free(data);
    return ok;
}

/* bmrt_load_bmodel_data (bmruntime_interface.cpp): a NULL runtime or data, or size 0, is false; a
 * buffer whose header or flatbuffer fails verification ends the PROCESS with exit(-1)
 * (tpu-bmodel/src/bmodel.cpp, ModelCtx(const void*, size_t)). */
EMU_EXPORT bool bmrt_load_bmodel_data(void *p, const void *data, size_t size)
{
    if (p == NULL || data == NULL || size == 0) {
        printf("[BMRT][bmrt_load_bmodel_data] bmrt handle is NULL or bmodel data is NULL.\n");
        return false;
    }
    runtime_t *rt = check_runtime(p, "bmrt_load_bmodel_data");
    emu_bmodel_t bmodel;
    char why[128];
    if (emu_bmodel_check(data, size, &bmodel, why, sizeof why) != 0) {
        printf("[BMODEL][ModelCtx] FATAL: %s\n", why);
        fflush(stdout);
        exit(-1);
    }
    return load_text(rt, &bmodel, NULL, "bmrt_load_bmodel_data");
}

EMU_EXPORT int bmrt_get_network_number(void *p)
{
    runtime_t *rt = check_runtime(p, "bmrt_get_network_number");
    int status;
    if (bm_emu_fault("bmrt_get_network_number", &status)) {
        return 0;
    }
    int count = 0;
    for (net_t *n = rt->nets; n != NULL; n = n->next) {
        count++;
    }
    return count;
}

EMU_EXPORT void bmrt_get_network_names(void *p, const char ***names)
{
    runtime_t *rt = check_runtime(p, "bmrt_get_network_names");
    if (names == NULL) {
        bm_emu_fatal("bmrt_get_network_names: names is NULL");
    }
    int count = 0;
    for (net_t *n = rt->nets; n != NULL; n = n->next) {
        count++;
    }
    int status;
    if (bm_emu_fault("bmrt_get_network_names", &status)) {
        *names = NULL;
        return;
    }
    const char **array = malloc(sizeof(char *) * (size_t)(count > 0 ? count : 1)); /* the caller frees it with free() */
    int i = count;
    for (net_t *n = rt->nets; n != NULL; n = n->next) {
        array[--i] = n->model.net; /* load order */
    }
    *names = array;
}

static net_t *find_net(runtime_t *rt, const char *name)
{
    for (net_t *n = rt->nets; n != NULL; n = n->next) {
        if (strcmp(n->model.net, name) == 0) {
            return n;
        }
    }
    return NULL;
}

EMU_EXPORT const bm_net_info_t *bmrt_get_network_info(void *p, const char *name)
{
    runtime_t *rt = check_runtime(p, "bmrt_get_network_info");
    if (name == NULL) {
        bm_emu_fatal("bmrt_get_network_info: name is NULL");
    }
    int status;
    net_t *n = bm_emu_fault("bmrt_get_network_info", &status) ? NULL : find_net(rt, name);
    if (n == NULL) {
        printf("[BMRT][bmrt_get_network_info] net %s not found\n", name);
        return NULL;
    }
    return &n->info;
}

/* ---- execution ---- */

static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff) {
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    }
    if (exp >= 31) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (exp <= 0) {
        if (exp < -10) {
            return (uint16_t)sign;
        }
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift;
        uint32_t rest = mant & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1u))) {
            half++;
        }
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) {
        half++;
    }
    return (uint16_t)half;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t x;
    if (exp == 0) {
        if (mant == 0) {
            x = sign;
        } else {
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* Quantised inputs: q = round(x * scale) + zero_point, so x = (q - zero_point) / scale. */
static float to_float(const unsigned char *data, size_t i, int dtype, float scale, int zero_point)
{
    switch (dtype) {
    case DT_FLOAT32: { float f; memcpy(&f, data + i * 4, 4); return f; }
    case DT_FLOAT16: { uint16_t h; memcpy(&h, data + i * 2, 2); return half_to_float(h); }
    case DT_INT8: return (float)((int)(int8_t)data[i] - zero_point) / scale;
    default: return (float)((int)data[i] - zero_point) / scale;
    }
}

/* Quantised outputs: y = (q - zero_point) * scale; the TPU saturates to the type's range. */
static void from_float(unsigned char *data, size_t i, int dtype, float scale, int zero_point, float y)
{
    switch (dtype) {
    case DT_FLOAT32: memcpy(data + i * 4, &y, 4); break;
    case DT_FLOAT16: { uint16_t h = float_to_half(y); memcpy(data + i * 2, &h, 2); break; }
    case DT_INT8: data[i] = (unsigned char)(int8_t)fmaxf(-128.f, fminf(127.f, nearbyintf(y / scale) + (float)zero_point)); break;
    default: data[i] = (unsigned char)fmaxf(0.f, fminf(255.f, nearbyintf(y / scale) + (float)zero_point)); break;
    }
}

typedef struct {
    runtime_t *rt;
    net_t *net;
    int stage;
    uint64_t in_addr, out_addrs[EMU_MAX_OUTPUTS];
} launch_t;

/* The least time one launch occupies its device (SOPHON_EMU_LAUNCH_US, microseconds; default 0, as
 * fast as the host computes it): with it the emulated devices, not the host's CPU, bound throughput,
 * as they do on a board, so a device pool's scaling can be measured here. */
static atomic_long g_launch_us = -1;

EMU_EXPORT void bm_emu_set_launch_us(long us) { atomic_store(&g_launch_us, us); }

static long launch_us(void)
{
    long set = atomic_load(&g_launch_us);
    if (set >= 0) {
        return set;
    }
    const char *env = getenv("SOPHON_EMU_LAUNCH_US");
    return env != NULL ? atol(env) : 0;
}

static long elapsed_us(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000L + (now.tv_nsec - since->tv_nsec) / 1000;
}

static void run_launch(void *arg)
{
    launch_t *l = arg;
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    emu_model_t *m = &l->net->model;
    const bm_shape_t *in_shape = &m->in_shapes[l->stage];
    size_t in_count = shape_count(in_shape, "bm_thread_sync");
    uint32_t in_size = 0;
    unsigned char *in = bm_emu_lookup(l->rt->handle, l->in_addr, &in_size);
    unsigned char *outs[EMU_MAX_OUTPUTS];
    for (int o = 0; o < m->output_num; o++) {
        uint32_t out_size = 0;
        outs[o] = bm_emu_lookup(l->rt->handle, l->out_addrs[o], &out_size);
        if (outs[o] == NULL) {
            in = NULL;
        }
    }
    if (in == NULL) {
        bm_emu_fatal("a launched tensor's device memory was freed before bm_thread_sync");
    }
    float *x = malloc(in_count * sizeof(float));
    size_t plane = in_shape->num_dims == 4 ? (size_t)in_shape->dims[2] * (size_t)in_shape->dims[3] : 1;
    size_t channels = in_shape->num_dims == 4 ? (size_t)in_shape->dims[1] : 1;
    for (size_t i = 0; i < in_count; i++) {
        x[i] = to_float(in, i, m->input_dtype, m->input_scale, m->input_zero_point);
        if (m->fused) { /* the preprocessing compiled into the model: (pixel - mean_c) * scale_c */
            size_t c = (i / plane) % channels;
            x[i] = (x[i] - m->fuse_mean[c < 3 ? c : 2]) * m->fuse_scale[c < 3 ? c : 2];
        }
    }
    int64_t dims[8];
    for (int d = 0; d < in_shape->num_dims; d++) {
        dims[d] = in_shape->dims[d];
    }
    OrtMemoryInfo *mi = NULL;
    OrtValue *input = NULL, *outputs_v[EMU_MAX_OUTPUTS] = { NULL };
    const char *in_names[1] = { m->onnx_input }, *out_names[EMU_MAX_OUTPUTS];
    for (int o = 0; o < m->output_num; o++) {
        out_names[o] = m->onnx_outputs[o];
    }
    if (ort_check(g_ort->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mi), "CreateCpuMemoryInfo") != 0
        || ort_check(g_ort->CreateTensorWithDataAsOrtValue(mi, x, in_count * sizeof(float), dims, (size_t)in_shape->num_dims,
                                                           ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &input), "CreateTensor") != 0
        || ort_check(g_ort->Run(l->net->session, NULL, in_names, (const OrtValue *const *)&input, 1, out_names, (size_t)m->output_num, outputs_v), "Run") != 0) {
        bm_emu_fatal("ONNX Runtime could not run %s", m->onnx);
    }
    /* Each output in its own dtype and scale (per-output INT8 scales, as TPU-MLIR compiles them). */
    for (int o = 0; o < m->output_num; o++) {
        float *y = NULL;
        size_t out_count = shape_count(&m->out_shapes[l->stage][o], "bm_thread_sync");
        ort_check(g_ort->GetTensorMutableData(outputs_v[o], (void **)&y), "GetTensorMutableData");
        for (size_t i = 0; i < out_count; i++) {
            from_float(outs[o], i, m->output_dtypes[o], m->output_scales[o], m->output_zero_points[o], y[i]);
        }
        g_ort->ReleaseValue(outputs_v[o]);
    }
    g_ort->ReleaseValue(input);
    g_ort->ReleaseMemoryInfo(mi);
    free(x);
    long left = launch_us() - elapsed_us(&started);
    if (left > 0) { /* the device is still busy with this launch */
        struct timespec rest = { left / 1000000L, (left % 1000000L) * 1000L };
        while (nanosleep(&rest, &rest) != 0) {
        }
    }
    pthread_mutex_lock(&l->rt->lock);
    l->rt->launches_pending--;
    pthread_mutex_unlock(&l->rt->lock);
}

/* bmrt_launch_tensor_ex (tpu-runtime/src/bmruntime_interface.cpp): a NULL runtime or net name, or an
 * unknown net, is false; then Bmruntime::launch (tpu-runtime/src/bmruntime.cpp) checks the input
 * count ("input num should be"), each tensor's dtype against the net's, and the shapes against a
 * stage, each a false; a dtype it has no size for is a C++ exception (here an abort); the work is
 * queued on the device and finished by bm_thread_sync on the launching thread. */
EMU_EXPORT bool bmrt_launch_tensor_ex(void *p, const char *net_name, const bm_tensor_t *inputs, int input_num,
                                      bm_tensor_t *outputs, int output_num, bool user_mem, bool user_stmode)
{
    (void)user_stmode;
    if (p == NULL || net_name == NULL) {
        printf("[BMRT][bmrt_launch_tensor_ex] parameter invalid p_bmrt is NULL or net_name is NULL\n");
        return false;
    }
    runtime_t *rt = check_runtime(p, "bmrt_launch_tensor_ex");
    if ((input_num > 0 && inputs == NULL) || (output_num > 0 && outputs == NULL)) {
        bm_emu_fatal("bmrt_launch_tensor_ex: NULL tensor array (the vendor runtime reads through it)");
    }
    int status;
    if (bm_emu_fault("bmrt_launch_tensor_ex", &status)) {
        return false;
    }
    net_t *n = find_net(rt, net_name);
    if (n == NULL) {
        printf("[BMRT][bmrt_launch_tensor_ex] net %s not found\n", net_name);
        return false;
    }
    emu_model_t *m = &n->model;
    if (input_num != n->info.input_num || output_num != n->info.output_num) {
        printf("[BMRT][bmrt_launch_tensor_ex] input/output number %d/%d != %d/%d\n", input_num, output_num, n->info.input_num, n->info.output_num);
        return false;
    }
    size_t count = shape_count(&inputs[0].shape, "bmrt_launch_tensor_ex");
    size_t in_bytes = count * dtype_size(inputs[0].dtype, "bmrt_launch_tensor_ex");
    if (inputs[0].dtype != m->input_dtype) {
        printf("[BMRT][bmrt_launch_tensor_ex] input dtype %d != network dtype %d\n", inputs[0].dtype, m->input_dtype);
        return false;
    }
    int stage = -1;
    for (int s = 0; s < m->stage_num; s++) {
        if (same_shape(&inputs[0].shape, &m->in_shapes[s])) {
            stage = s;
        }
    }
    if (stage < 0) {
        printf("[BMRT][bmrt_launch_tensor_ex] Shapes of the input tensors are not supported\n");
        return false;
    }
    uint32_t capacity = 0;
    if (bm_emu_lookup(rt->handle, inputs[0].device_mem.device_addr, &capacity) == NULL || capacity < in_bytes || inputs[0].device_mem.size < in_bytes) {
        printf("[BMRT][bmrt_launch_tensor_ex] input device memory is not an allocation of this device or is smaller than %zu bytes\n", in_bytes);
        return false;
    }
    for (int o = 0; o < m->output_num; o++) {
        size_t out_bytes = shape_count(&m->out_shapes[stage][o], "bmrt_launch_tensor_ex") * dtype_size(m->output_dtypes[o], "bmrt_launch_tensor_ex");
        if (user_mem) {
            if (bm_emu_lookup(rt->handle, outputs[o].device_mem.device_addr, &capacity) == NULL || capacity < out_bytes || outputs[o].device_mem.size < out_bytes) {
                printf("[BMRT][bmrt_launch_tensor_ex] output %d device memory is not an allocation of this device or is smaller than %zu bytes\n", o, out_bytes);
                return false;
            }
        } else {
            extern bm_status_t bm_malloc_device_byte(bm_handle_t, bm_device_mem_t *, unsigned int);
            if (bm_malloc_device_byte(rt->handle, &outputs[o].device_mem, (unsigned int)out_bytes) != BM_SUCCESS) {
                return false;
            }
        }
        outputs[o].dtype = m->output_dtypes[o];
        outputs[o].shape = m->out_shapes[stage][o];
        outputs[o].st_mode = 0;
    }
    launch_t *l = calloc(1, sizeof *l);
    l->rt = rt;
    l->net = n;
    l->stage = stage;
    l->in_addr = inputs[0].device_mem.device_addr;
    uint64_t addrs[1 + EMU_MAX_OUTPUTS] = { l->in_addr };
    for (int o = 0; o < m->output_num; o++) {
        l->out_addrs[o] = addrs[1 + o] = outputs[o].device_mem.device_addr;
    }
    pthread_mutex_lock(&rt->lock);
    rt->launches_pending++;
    pthread_mutex_unlock(&rt->lock);
    bm_emu_enqueue(rt->handle, run_launch, l, addrs, 1 + m->output_num); /* runs at bm_thread_sync on this OS thread */
    return true;
}

EMU_EXPORT bool bmrt_launch_tensor(void *p, const char *net_name, const bm_tensor_t *inputs, int input_num, bm_tensor_t *outputs, int output_num)
{
    return bmrt_launch_tensor_ex(p, net_name, inputs, input_num, outputs, output_num, false, false);
}
