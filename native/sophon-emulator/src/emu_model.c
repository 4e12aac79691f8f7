#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_model.h"

static int parse_dtype(const char *s)
{
    static const char *names[] = { "FLOAT32", "FLOAT16", "INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "BFLOAT16", "INT4", "UINT4" };
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static int parse_shape(const char *s, bm_shape_t *shape)
{
    memset(shape, 0, sizeof *shape);
    const char *p = s;
    while (*p != '\0') {
        if (shape->num_dims == 8) {
            return -1;
        }
        char *end = NULL;
        long d = strtol(p, &end, 10);
        if (end == p || d <= 0) {
            return -1;
        }
        shape->dims[shape->num_dims++] = (int)d;
        p = end;
        if (*p == 'x') {
            p++;
        } else if (*p != '\0') {
            return -1;
        }
    }
    return shape->num_dims > 0 ? 0 : -1;
}

static int tensor_line(const char *value, char *name, size_t name_size, int *dtype, float *scale, int *zero_point)
{
    char n[128], t[32];
    float sc = 1.0f;
    int zp = 0;
    int got = sscanf(value, "%127s %31s %f %d", n, t, &sc, &zp);
    if (got < 2) {
        return -1;
    }
    snprintf(name, name_size, "%s", n);
    *dtype = parse_dtype(t);
    *scale = sc;
    *zero_point = zp;
    int quantised = *dtype == DT_INT8 || *dtype == DT_UINT8;
    if (zp != 0 && (!quantised || (*dtype == DT_INT8 && (zp < -128 || zp > 127)) || (*dtype == DT_UINT8 && (zp < 0 || zp > 255)))) {
        return -1;
    }
    return *dtype == DT_FLOAT32 || *dtype == DT_FLOAT16 || quantised ? 0 : -1;
}

int emu_model_parse(const char *text, const char *base_dir, emu_model_t *m)
{
    memset(m, 0, sizeof *m);
    if (strncmp(text, "# sophon-emulator bmodel 1", 26) != 0) {
        printf("[BMRT][emulator] not an emulated bmodel (first line must be '# sophon-emulator bmodel 1')\n");
        return -1;
    }
    char *copy = strdup(text);
    char *save = NULL;
    int ok = 1;
    char onnx[1024] = "";
    for (char *line = strtok_r(copy, "\n", &save); line != NULL && ok; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ')) {
            line[--len] = '\0';
        }
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            ok = 0;
            break;
        }
        *eq = '\0';
        const char *key = line, *value = eq + 1;
        if (strcmp(key, "net") == 0) {
            snprintf(m->net, sizeof m->net, "%s", value);
        } else if (strcmp(key, "onnx") == 0) {
            snprintf(onnx, sizeof onnx, "%s", value);
        } else if (strcmp(key, "onnx_input") == 0) {
            snprintf(m->onnx_input, sizeof m->onnx_input, "%s", value);
        } else if (strcmp(key, "onnx_output") == 0) {
            ok = m->onnx_output_num < EMU_MAX_OUTPUTS;
            if (ok) {
                snprintf(m->onnx_outputs[m->onnx_output_num++], sizeof m->onnx_outputs[0], "%s", value);
            }
        } else if (strcmp(key, "input") == 0) {
            ok = tensor_line(value, m->input_name, sizeof m->input_name, &m->input_dtype, &m->input_scale, &m->input_zero_point) == 0;
        } else if (strcmp(key, "output") == 0) {
            int o = m->output_num;
            ok = o < EMU_MAX_OUTPUTS && tensor_line(value, m->output_names[o], sizeof m->output_names[o], &m->output_dtypes[o], &m->output_scales[o], &m->output_zero_points[o]) == 0;
            m->output_num += ok;
        } else if (strcmp(key, "fuse") == 0) {
            m->fused = 1;
            ok = sscanf(value, "%f,%f,%f %f,%f,%f", &m->fuse_mean[0], &m->fuse_mean[1], &m->fuse_mean[2],
                        &m->fuse_scale[0], &m->fuse_scale[1], &m->fuse_scale[2]) == 6;
        } else if (strcmp(key, "stage") == 0) {
            /* stage=IN OUT0 [OUT1 ...]: one output shape per output= line (outputs come first in the text) */
            char in[128], out[EMU_MAX_OUTPUTS][128];
            int got = m->stage_num < EMU_MAX_STAGES && m->output_num > 0
                ? sscanf(value, "%127s %127s %127s %127s %127s", in, out[0], out[1], out[2], out[3]) : 0;
            ok = got == 1 + m->output_num && parse_shape(in, &m->in_shapes[m->stage_num]) == 0;
            for (int o = 0; ok && o < m->output_num; o++) {
                ok = parse_shape(out[o], &m->out_shapes[m->stage_num][o]) == 0;
            }
            m->stage_num += ok;
        }
        if (!ok) {
            printf("[BMRT][emulator] bad line '%s=%s'\n", key, value);
        }
    }
    free(copy);
    if (!ok || m->net[0] == '\0' || onnx[0] == '\0' || m->input_name[0] == '\0' || m->output_num == 0 || m->stage_num == 0) {
        printf("[BMRT][emulator] incomplete emulated bmodel (needs net, onnx, input, output, stage; output lines before the stages)\n");
        return -1;
    }
    if (m->onnx_output_num != 0 && m->onnx_output_num != m->output_num) {
        printf("[BMRT][emulator] %d onnx_output lines for %d outputs (one each, in order, or none)\n", m->onnx_output_num, m->output_num);
        return -1;
    }
    if (m->fused && (m->input_dtype != DT_UINT8 || m->input_scale != 1.0f || m->input_zero_point != 0)) {
        printf("[BMRT][emulator] a fused-preprocessing model takes UINT8 pixels (input=NAME UINT8 1)\n");
        return -1;
    }
    if (onnx[0] == '/' || base_dir == NULL) {
        snprintf(m->onnx, sizeof m->onnx, "%s", onnx);
    } else {
        snprintf(m->onnx, sizeof m->onnx, "%s/%s", base_dir, onnx);
    }
    if (m->onnx_input[0] == '\0') {
        snprintf(m->onnx_input, sizeof m->onnx_input, "%s", m->input_name);
    }
    for (int o = m->onnx_output_num; o < m->output_num; o++) {
        snprintf(m->onnx_outputs[o], sizeof m->onnx_outputs[o], "%s", m->output_names[o]);
    }
    return 0;
}
