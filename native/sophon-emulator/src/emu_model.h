/* The emulated bmodel's description (the binary region of a bmodel container, see emu_bmodel.h): text that names an ONNX model and declares what a compiled bmodel
 * would: network name, tensor names, dtypes, scales and stages (one per batch size).
 *
 *   # sophon-emulator bmodel 1
 *   net=simclrv2
 *   onnx=model.onnx            (relative to the bmodel file)
 *   onnx_input=input           onnx_output=logits
 *   input=input.1 INT8 0.02    output=494 FLOAT32 1   (quantised: NAME TYPE SCALE [ZERO_POINT])
 *   stage=1x3x32x32 1x10
 *   stage=4x3x32x32 4x10
 *   Several outputs (a classifier with embedding outputs): one output= line each, in the network's
 *   output order, with an onnx_output= line each in the same order when the ONNX names differ, and
 *   one output shape per output on each stage line: stage=4x3x32x32 4x10 4x128
 *   fuse=125.307,122.961,113.8575 0.0193849,0.0196668,0.0195103   (optional: UINT8 pixel input,
 *        normalised inside as (q - mean_c) * scale_c, like TPU-MLIR's --fuse_preprocess)
 */
#ifndef SOPHON_EMU_MODEL_H
#define SOPHON_EMU_MODEL_H

#include "emu.h"

#define EMU_MAX_STAGES 8
#define EMU_MAX_OUTPUTS 4

typedef struct {
    char net[128];
    char onnx[1024];
    char onnx_input[128];
    char input_name[128];
    int input_dtype;
    float input_scale;
    int input_zero_point;
    int output_num;
    int onnx_output_num;
    char onnx_outputs[EMU_MAX_OUTPUTS][128];
    char output_names[EMU_MAX_OUTPUTS][128];
    int output_dtypes[EMU_MAX_OUTPUTS];
    float output_scales[EMU_MAX_OUTPUTS];
    int output_zero_points[EMU_MAX_OUTPUTS];
    int fused;
    float fuse_mean[3];
    float fuse_scale[3];
    int stage_num;
    bm_shape_t in_shapes[EMU_MAX_STAGES];
    bm_shape_t out_shapes[EMU_MAX_STAGES][EMU_MAX_OUTPUTS];
} emu_model_t;

/* Parses the text (base_dir resolves a relative onnx path; may be NULL). Returns 0 or prints why and returns -1. */
int emu_model_parse(const char *text, const char *base_dir, emu_model_t *model);

#endif
