/* The bmodel container, as libsophon's tpu-bmodel reads it: a 64-byte header (magic 0xFF55AAEE,
 * header_size, flatbuffers_size, binary_size, reserved), the flatbuffer describing the model
 * (root table Model: type, version, time, chip strings and the net vector, each Net with a name),
 * then the binary region. Emulated bmodels carry their description text in the binary region. */
#ifndef SOPHON_EMU_BMODEL_H
#define SOPHON_EMU_BMODEL_H

#include <stddef.h>

#define EMU_BMODEL_MAGIC 0xFF55AAEEu
#define EMU_BMODEL_HEADER_SIZE 64u

typedef struct {
    const char *chip;          /* points into the buffer */
    size_t chip_len;
    const char *net_name;      /* the first net's name */
    size_t net_name_len;
    int net_count;
    const unsigned char *binary; /* the binary region */
    size_t binary_size;
} emu_bmodel_t;

/* Checks the header against the size and verifies the flatbuffer's top level (root table, the
 * required strings, the net vector, each net's name). 0 when sound; else -1 with the reason in why
 * (the vendor's words: "broken ." size, ".." magic, "..." sizes, "...." flatbuffer). */
int emu_bmodel_check(const unsigned char *data, size_t size, emu_bmodel_t *out, char *why, size_t why_size);

#endif
