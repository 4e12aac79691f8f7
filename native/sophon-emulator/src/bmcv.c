/* Emulated libbmcv: the image subset SimClrV2.Sophon's BMCV preprocessing uses, with the vendor's
 * rules: formats and data types, the convert_to output stride equal to the width, size limits,
 * colour conversion, padding limits, JPEG decode paths, images destroyed exactly once, attached
 * memory not owned.
 * VPP resizes bilinearly: src = (dst + 0.5) * in/out - 0.5, clamped to the image, weights in float,
 * rounded to nearest (the same arithmetic as the library's CPU resize, so both paths agree).
 * Every rule names the vendor source it follows: sophgo/libsophon, bmvid/bmcv/src/ (bmcv_vpp_internal.cpp,
 * bm1684x/bmcv_1684x_vpp_internal.cpp, bmcv_api_jpeg_dec.cpp). */
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

/* The vendor's enums (bmcv_api_ext.h) are int-sized; their names keep the prototypes below the
 * vendor's, which a test checks by compiling them against bmcv_api_ext.h. */
typedef int bm_image_format_ext;
typedef int bm_image_data_format_ext;
typedef int bmcv_resize_algorithm;
typedef int csc_type_t;
/* csc_matrix_t: 12 ints that bm1684x_vpp_param_config copies bit for bit into float coefficients. */
typedef struct { int coe[12]; } csc_matrix_t;

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

EMU_EXPORT bm_status_t bm_image_create(bm_handle_t handle, int height, int width, bm_image_format_ext format, bm_image_data_format_ext data_type, bm_image *image, int *stride)
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

/* csc_type_t (bmcv_api_ext.h). */
enum { CSC_YCbCr2RGB_BT601 = 0, CSC_YPbPr2RGB_BT601 = 1, CSC_RGB2YCbCr_BT601 = 2, CSC_YCbCr2RGB_BT709 = 3, CSC_RGB2YCbCr_BT709 = 4,
       CSC_RGB2YPbPr_BT601 = 5, CSC_YPbPr2RGB_BT709 = 6, CSC_RGB2YPbPr_BT709 = 7, CSC_USER_DEFINED_MATRIX = 1000, CSC_MAX_ENUM = 1001 };

/* The YUV-to-RGB rows of bm1684x_csc_matrix (bm1684x/bmcv_1684x_vpp_internal.cpp), indexed by
 * csc_type_1684x_t, which has csc_type_t's values: R,G,B = c0*Y + c1*U + c2*V + add. "YCbCr" is limited
 * range (Y 16..235), "YPbPr" full range (JFIF). The RGB-to-YUV rows are not needed: the emulator's VPP
 * writes RGB only. */
static const float csc_yuv2rgb[8][12] = {
    [CSC_YCbCr2RGB_BT601] = { 1.1643835616438400f, 0.0f, 1.5958974359999800f, -222.9050087942980000f,
                              1.1643835616438400f, -0.3936638456015240f, -0.8138402992560010f, 135.9303935554620000f,
                              1.1643835616438400f, 2.0160738896544600f, 0.0f, -276.6875948620730000f },
    [CSC_YPbPr2RGB_BT601] = { 1.0f, 0.0f, 1.4018863751529200f, -179.4414560195740000f,
                              1.0f, -0.3458066722146720f, -0.7149028511111540f, 135.7708189857060000f,
                              1.0f, 1.7709825540494100f, 0.0f, -226.6857669183240000f },
    [CSC_YCbCr2RGB_BT709] = { 1.1643835616438400f, 0.0f, 1.7926522634175300f, -248.0896267037460000f,
                              1.1643835616438400f, -0.2132370215686210f, -0.5330040401422640f, 76.8887189126920000f,
                              1.1643835616438400f, 2.1124192819911800f, 0.0f, -289.0198050811730000f },
    [CSC_YPbPr2RGB_BT709] = { 1.0f, 0.0f, 1.5747219882569700f, -201.5644144968920000f,
                              1.0f, -0.1873140895347890f, -0.4682074705563420f, 83.9067596916648000f,
                              1.0f, 1.8556153692785300f, 0.0f, -237.5187672676520000f },
};

/* check_bm1684x_vpp_csctype (bm1684x/bmcv_1684x_vpp_internal.cpp): a YUV-to-RGB type needs YUV input
 * and RGB output, an RGB-to-YUV type RGB input and YUV output, a user matrix a matrix; CSC_MAX_ENUM is
 * "choose by format"; any other value is BM_ERR_PARAM. The coefficients to use go to *m (NULL: none,
 * the colour spaces agree). */
static bm_status_t csc_coefficients(const char *fn, int csc_type, const int *matrix, int yuv_in, float user[12], const float **m)
{
    *m = NULL;
    switch (csc_type) {
    case CSC_YCbCr2RGB_BT601:
    case CSC_YPbPr2RGB_BT601:
    case CSC_YCbCr2RGB_BT709:
    case CSC_YPbPr2RGB_BT709:
        if (!yuv_in) {
            fprintf(stderr, "sophon-emulator: %s: csc_type %d converts YUV to RGB; the input is RGB\n", fn, csc_type);
            return BM_ERR_PARAM;
        }
        *m = csc_yuv2rgb[csc_type];
        return BM_SUCCESS;
    case CSC_RGB2YCbCr_BT601:
    case CSC_RGB2YCbCr_BT709:
    case CSC_RGB2YPbPr_BT601:
    case CSC_RGB2YPbPr_BT709:
        fprintf(stderr, "sophon-emulator: %s: csc_type %d converts RGB to YUV; the output is RGB\n", fn, csc_type);
        return BM_ERR_PARAM;
    case CSC_USER_DEFINED_MATRIX:
        if (matrix == NULL) {
            fprintf(stderr, "sophon-emulator: %s: vpp csc_type param %d is CSC_USER_DEFINED_MATRIX, matrix can not be null\n", fn, csc_type);
            return BM_ERR_PARAM;
        }
        /* bm1684x_vpp_param_config copies the int fields' bits into float coefficients. */
        memcpy(user, matrix, 12 * sizeof(float));
        *m = user;
        return BM_SUCCESS;
    case CSC_MAX_ENUM:
        /* default_csc_type: YUV input to RGB output is YCbCr2RGB_BT601, limited range. */
        *m = yuv_in ? csc_yuv2rgb[CSC_YCbCr2RGB_BT601] : NULL;
        return BM_SUCCESS;
    default:
        fprintf(stderr, "sophon-emulator: %s: vpp csc_type param %d not support\n", fn, csc_type);
        return BM_ERR_PARAM;
    }
}

/* Packed RGB of a YUV420P/422P/444P or GRAY image (planes tightly packed), through the 3x4 matrix m. */
static unsigned char *yuv_to_rgb(const unsigned char *yuv, const bm_image *img, const float *m)
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
            for (int c = 0; c < 3; c++) {
                o[c] = clamp_byte(m[4 * c] * Y + m[4 * c + 1] * U + m[4 * c + 2] * V + m[4 * c + 3]);
            }
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

/* Silent, but counting warnings (corrupt data) as libjpeg's own emit_message does. */
static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    if (level < 0) {
        cinfo->err->num_warnings++;
    }
}

/* determine_hw_decoding (bmcv_api_jpeg_dec.cpp): what the JPU decodes. Baseline (Huffman, not
 * progressive, 8-bit samples, table numbers 0..1, quantisers up to 255), one or three interleaved
 * components, luma sampled at most 2x2 and chroma 1x1, 4:2:0 / 4:2:2 (horizontal) / 4:4:4 / grey,
 * YCbCr, grey or RGB, at least 16x16. Everything else libbmcv decodes in software. */
static int jpu_takes(struct jpeg_decompress_struct *c)
{
    if (c->arith_code || c->progressive_mode || c->data_precision != 8) {
        return 0;
    }
    for (int ci = 0; ci < c->num_components; ci++) {
        jpeg_component_info *p = &c->comp_info[ci];
        JQUANT_TBL *q = p->quant_tbl_no < NUM_QUANT_TBLS ? c->quant_tbl_ptrs[p->quant_tbl_no] : NULL;
        if (p->dc_tbl_no > 1 || p->ac_tbl_no > 1 || q == NULL) {
            return 0;
        }
        for (int i = 0; i < DCTSIZE2; i++) {
            if (q->quantval[i] > 255) {
                return 0;
            }
        }
    }
    if (c->num_components != 1 && c->num_components != 3) {
        return 0;
    }
    if (c->num_components == 3 && c->comps_in_scan != 3) {
        return 0;
    }
    if (c->comp_info[0].h_samp_factor > 2 || c->comp_info[0].v_samp_factor > 2) {
        return 0;
    }
    if (c->num_components == 3 && (c->comp_info[1].h_samp_factor != 1 || c->comp_info[2].h_samp_factor != 1 || c->comp_info[1].v_samp_factor != 1 || c->comp_info[2].v_samp_factor != 1)) {
        return 0;
    }
    int factor = c->num_components == 1 ? 0x1 : ((c->comp_info[0].h_samp_factor & 3) << 2) | (c->comp_info[0].v_samp_factor & 3);
    if (factor != 0xA && factor != 0x9 && factor != 0x5 && factor != 0x1) {
        return 0;
    }
    if (c->jpeg_color_space != JCS_YCbCr && c->jpeg_color_space != JCS_GRAYSCALE && c->jpeg_color_space != JCS_RGB) {
        return 0;
    }
    return c->image_width >= 16 && c->image_height >= 16;
}

/* Decodes one JPEG into *out, which this creates (the caller destroys it), the way
 * bmcv_image_jpeg_dec does (bmcv_api_jpeg_dec.cpp):
 * - a header libjpeg cannot read: BM_ERR_FAILURE, nothing created (try_soft_decoding's error exit);
 * - a stream the JPU does not take (jpu_takes): decoded in software into a FORMAT_BGR_PACKED image,
 *   stride aligned to 64 (try_soft_decoding); a decode error destroys it and is BM_ERR_FAILURE;
 * - otherwise the JPU: planes in the stream's own format (YUV420P/422P/444P, GRAY; the components as
 *   they are coded, no colour conversion). A stream it fails on is BM_ERR_FAILURE, and the image the
 *   failed call created stays created (bmcv_jpeg_dec_one_image returns without destroying it): the
 *   caller must destroy a non-NULL image_private whatever the status. */
static bm_status_t jpeg_decode_one(bm_handle_t handle, const unsigned char *data, size_t size, bm_image *out)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_error_t err;
    unsigned char *volatile full = NULL; /* volatile: read after longjmp */
    volatile int created = 0, hardware = 0;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit;
    err.mgr.emit_message = jpeg_quiet;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(full);
        if (created && !hardware) {
            bm_image_destroy(*out);
            memset(out, 0, sizeof *out);
        }
        fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: %s\n", !created ? "jpeg-turbo read header failed" : hardware ? "jpeg decode failed (the JPU)" : "soft decode failed");
        return BM_ERR_FAILURE;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    hardware = jpu_takes(&cinfo);
    int format, stride;
    if (!hardware) {
        format = FMT_BGR_PACKED;
        cinfo.out_color_space = JCS_EXT_BGR;
        stride = ((int)cinfo.image_width * 3 + 63) & ~63;
    } else {
        int hs = cinfo.comp_info[0].h_samp_factor, vs = cinfo.comp_info[0].v_samp_factor;
        format = cinfo.num_components == 1 ? FMT_GRAY : hs == 2 && vs == 2 ? FMT_YUV420P : hs == 2 ? FMT_YUV422P : FMT_YUV444P;
        cinfo.out_color_space = cinfo.jpeg_color_space; /* the coded components, unconverted */
        stride = (int)cinfo.image_width;
    }
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height, n = cinfo.output_components;
    bm_status_t made = hardware ? bm_image_create(handle, h, w, format, IMG_1N_BYTE, out, NULL) : bm_image_create(handle, h, w, format, IMG_1N_BYTE, out, &stride);
    if (made != BM_SUCCESS) {
        jpeg_destroy_decompress(&cinfo);
        return hardware ? made : BM_ERR_FAILURE; /* bmcv_jpeg_dec_one_image returns bm_image_create's status */
    }
    created = 1;
    if (bm_image_alloc_dev_mem(*out, 2) != BM_SUCCESS) {
        longjmp(err.jump, 1);
    }
    int row_bytes = hardware ? w * n : stride;
    full = malloc((size_t)row_bytes * h);
    if (full == NULL) {
        bm_emu_fatal("out of memory decoding a JPEG");
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = full + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (hardware && err.mgr.num_warnings > 0) {
        longjmp(err.jump, 1); /* corrupt entropy data, a truncated scan: the JPU fails where libjpeg warns */
    }
    jpeg_destroy_decompress(&cinfo);
    unsigned char *planes = image_data(out->image_private, "bmcv_image_jpeg_dec");
    if (!hardware) {
        memcpy(planes, full, (size_t)stride * h);
        free(full);
        return BM_SUCCESS;
    }
    /* The planes: Y as decoded, chroma averaged back to the stream's sampling. */
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

/* bmcv_image_jpeg_dec (bmcv_api_jpeg_dec.cpp): a NULL handle is BM_ERR_DEVNOTREADY, NULL data or size
 * arrays BM_ERR_PARAM, a NULL stream BM_ERR_DATA; more than 4 images overrun its 4-entry arrays. A
 * failure returns at once: the images decoded before it stay created. */
EMU_EXPORT bm_status_t bmcv_image_jpeg_dec(bm_handle_t handle, void *p_jpeg_data[], size_t *in_size, int image_num, bm_image *dst, int bs_in_device)
{
    int status;
    if (dst == NULL) {
        bm_emu_fatal("bmcv_image_jpeg_dec: dst is NULL");
    }
    if (bm_emu_fault("bmcv_image_jpeg_dec", &status)) {
        return status;
    }
    if (handle == NULL) {
        return BM_ERR_DEVNOTREADY;
    }
    if (in_size == NULL || p_jpeg_data == NULL) {
        fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: The pointer of data and size should not be NULL!\n");
        return BM_ERR_PARAM;
    }
    if (image_num > 4) {
        bm_emu_fatal("bmcv_image_jpeg_dec: %d images overrun libbmcv's 4-entry decoder arrays", image_num);
    }
    for (int i = 0; i < image_num; i++) {
        if (p_jpeg_data[i] == NULL) {
            fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: The pointer of data should not be NULL!\n");
            return BM_ERR_DATA;
        }
    }
    if (bs_in_device != 0) {
        fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: the emulator decodes streams in host memory (bs_in_device 0)\n");
        return BM_NOT_SUPPORTED;
    }
    for (int i = 0; i < image_num; i++) {
        if (dst[i].image_private != NULL) {
            fprintf(stderr, "sophon-emulator: bmcv_image_jpeg_dec: the emulator creates dst itself; pass zero-filled bm_images\n");
            return BM_NOT_SUPPORTED;
        }
    }
    for (int i = 0; i < image_num; i++) {
        bm_status_t s = jpeg_decode_one(handle, p_jpeg_data[i], in_size[i], &dst[i]);
        if (s != BM_SUCCESS) {
            return s;
        }
    }
    return BM_SUCCESS;
}

/* One VPP pass: the crop rectangle of the input (the whole input when crop is NULL) resized into
 * the destination rectangle of the output (the whole output when padding is NULL; else the rest is
 * filled with the padding colour when if_memset is 1, left as it was when 0), converting the colour
 * format with csc_type (CSC_MAX_ENUM: by format). The BM1684X VPP offers NEAREST (0) and LINEAR (1)
 * only: BICUBIC (2) is refused with BM_ERR_PARAM, as libbmcv's check_bm1684x_vpp_param does. */
static bm_status_t vpp_pass(const char *fn, int output_num, bm_image input, bm_image *output, bmcv_rect_t *crop, bmcv_padding_atrr_t *padding, int algorithm, int csc_type, const int *matrix)
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
    /* No stride alignment rule: the BM1684X VPP source checks none (64-byte strides are what the
     * vendor's samples allocate, and what the binding uses; the BM1684's VPP re-aligns a misaligned
     * input itself, bm1684/bmcv_1684_vpp_internal.cpp check_stride). */
    (void)in;
    (void)out;
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
        /* check_bm1684x_vpp_image_param: if_memset is 0 or 1; with 1 the four paddings (computed in
         * unsigned arithmetic, so a rectangle past the edge is a huge padding) are each at most 255. */
        if (padding->if_memset != 0 && padding->if_memset != 1) {
            fprintf(stderr, "sophon-emulator: %s: padding_attr if_memset %d wrong (0 or 1)\n", fn, padding->if_memset);
            return BM_ERR_PARAM;
        }
        if (padding->if_memset == 1
            && (padding->dst_crop_stx > 255 || padding->dst_crop_sty > 255 || (unsigned int)ow - padding->dst_crop_w - padding->dst_crop_stx > 255
                || (unsigned int)oh - padding->dst_crop_h - padding->dst_crop_sty > 255)) {
            fprintf(stderr, "sophon-emulator: %s: padding_attr x,y,w,h may be > 255: (%u,%u %ux%u) in %dx%d pads a side by more than 255 pixels\n", fn,
                padding->dst_crop_stx, padding->dst_crop_sty, padding->dst_crop_w, padding->dst_crop_h, ow, oh);
            return BM_ERR_PARAM;
        }
        dx = (int)padding->dst_crop_stx, dy = (int)padding->dst_crop_sty, dw = (int)padding->dst_crop_w, dh = (int)padding->dst_crop_h;
        if (dw < 1 || dh < 1 || dx + dw > ow || dy + dh > oh) {
            fprintf(stderr, "sophon-emulator: %s: destination (%d,%d %dx%d) is outside the %dx%d output\n", fn, dx, dy, dw, dh, ow, oh);
            return BM_ERR_PARAM;
        }
    }
    float user_matrix[12];
    const float *csc = NULL;
    status = csc_coefficients(fn, csc_type, matrix, is_yuv(input.image_format), user_matrix, &csc);
    if (status != BM_SUCCESS) {
        return status;
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
        /* Colour conversion first, with the pass's matrix, then the same resize. */
        rgb = yuv_to_rgb(src, &input, csc);
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

/* bmcv_image_vpp_convert -> bm1684x_vpp_convert_internal: CSC_MAX_ENUM, no matrix. */
EMU_EXPORT bm_status_t bmcv_image_vpp_convert(bm_handle_t handle, int output_num, bm_image input, bm_image *output, bmcv_rect_t *crop, bmcv_resize_algorithm algorithm)
{
    (void)handle;
    return vpp_pass("bmcv_image_vpp_convert", output_num, input, output, crop, NULL, algorithm, CSC_MAX_ENUM, NULL);
}

/* bmcv_image_vpp_convert_padding -> bm1684x_vpp_cvt_padding: CSC_MAX_ENUM; a NULL padding_attr is BM_ERR_PARAM. */
EMU_EXPORT bm_status_t bmcv_image_vpp_convert_padding(bm_handle_t handle, int output_num, bm_image input, bm_image *output, bmcv_padding_atrr_t *padding_attr, bmcv_rect_t *crop_rect, bmcv_resize_algorithm algorithm)
{
    (void)handle;
    if (padding_attr == NULL) {
        fprintf(stderr, "sophon-emulator: bmcv_image_vpp_convert_padding: vpp padding info is nullptr\n");
        return BM_ERR_PARAM;
    }
    return vpp_pass("bmcv_image_vpp_convert_padding", output_num, input, output, crop_rect, padding_attr, algorithm, CSC_MAX_ENUM, NULL);
}

/* bmcv_image_vpp_csc_matrix_convert -> bm1684x_vpp_csc_matrix_convert: the caller's csc type (and matrix). */
EMU_EXPORT bm_status_t bmcv_image_vpp_csc_matrix_convert(bm_handle_t handle, int output_num, bm_image input, bm_image *output, csc_type_t csc, csc_matrix_t *matrix, bmcv_resize_algorithm algorithm, bmcv_rect_t *crop_rect)
{
    (void)handle;
    return vpp_pass("bmcv_image_vpp_csc_matrix_convert", output_num, input, output, crop_rect, NULL, algorithm, csc, matrix != NULL ? matrix->coe : NULL);
}

/* bmcv_image_vpp_basic -> bm1684x_vpp_basic: crop_num_vec must be NULL without crop rectangles and given
 * with them (BM_ERR_PARAM otherwise); padding, csc type and matrix as the caller gives them. The emulator
 * takes one input with at most one crop. */
EMU_EXPORT bm_status_t bmcv_image_vpp_basic(bm_handle_t handle, int in_img_num, bm_image *input, bm_image *output, int *crop_num_vec, bmcv_rect_t *crop_rect, bmcv_padding_atrr_t *padding_attr, bmcv_resize_algorithm algorithm, csc_type_t csc_type, csc_matrix_t *matrix)
{
    (void)handle;
    if (input == NULL) {
        bm_emu_fatal("bmcv_image_vpp_basic: input is NULL");
    }
    if ((crop_rect == NULL) != (crop_num_vec == NULL)) {
        fprintf(stderr, "sophon-emulator: bmcv_image_vpp_basic: crop_num_vec should %sbe NULL\n", crop_rect == NULL ? "" : "not ");
        return BM_ERR_PARAM;
    }
    if (in_img_num != 1 || (crop_num_vec != NULL && crop_num_vec[0] != 1)) {
        fprintf(stderr, "sophon-emulator: bmcv_image_vpp_basic: the emulator takes one input and one crop per call\n");
        return BM_NOT_SUPPORTED;
    }
    return vpp_pass("bmcv_image_vpp_basic", 1, input[0], output, crop_rect, padding_attr, algorithm, csc_type, matrix != NULL ? matrix->coe : NULL);
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
        /* bmcv_convert_to_check (bmcv_api_convert_to.cpp): sizes equal, output stride equal to the
         * width, else BM_ERR_DATA; then the VPP's side limits (check_bm1684x_vpp_image_param). */
        if (output[n].width != w || output[n].height != h) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: input size must be same to output (%dx%d -> %dx%d)\n", w, h, output[n].width, output[n].height);
            return BM_ERR_DATA;
        }
        limits_t l = chip_limits();
        if (w < l.convert_min || h < l.convert_min || w > l.convert_max || h > l.convert_max) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: %dx%d is outside %d..%d\n", w, h, l.convert_min, l.convert_max);
            return BM_ERR_PARAM;
        }
        if (!is_planar(input[n].image_format) || input[n].image_format != output[n].image_format || input[n].data_type != IMG_1N_BYTE
            || (output[n].data_type != IMG_FLOAT32 && output[n].data_type != IMG_1N_BYTE_SIGNED)) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: planar 1N_BYTE to planar FLOAT32 or 1N_BYTE_SIGNED expected\n");
            return BM_NOT_SUPPORTED;
        }
        if (out->stride != w * pixel_bytes(output[n].data_type)) {
            fprintf(stderr, "sophon-emulator: bmcv_image_convert_to: output width must be equal to stride (%d bytes for %d pixels)\n", out->stride, w);
            return BM_ERR_DATA;
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
