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
 */
#ifndef SOPHON_EMU_MODEL_H
#define SOPHON_EMU_MODEL_H

#include "emu.h"

#define EMU_MAX_STAGES 8

typedef struct {
    char net[128];
    char onnx[1024];
    char onnx_input[128];
    char onnx_output[128];
    char input_name[128];
    char output_name[128];
    int input_dtype;
    int output_dtype;
    float input_scale;
    float output_scale;
    int input_zero_point;
    int output_zero_point;
    int stage_num;
    bm_shape_t in_shapes[EMU_MAX_STAGES];
    bm_shape_t out_shapes[EMU_MAX_STAGES];
} emu_model_t;

/* Parses the text (base_dir resolves a relative onnx path; may be NULL). Returns 0 or prints why and returns -1. */
int emu_model_parse(const char *text, const char *base_dir, emu_model_t *model);

#endif
