/* The libsophon emulator: types with the vendor's ABI layouts and the internal interface between
 * the emulated libbmlib and libbmrt. Written for SimClrV2.Sophon from the published ABI facts. */
#ifndef SOPHON_EMU_H
#define SOPHON_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_EXPORT __attribute__((visibility("default")))

typedef int bm_status_t;
enum {
    BM_SUCCESS = 0, BM_ERR_DEVNOTREADY = 1, BM_ERR_FAILURE = 2, BM_ERR_TIMEOUT = 3, BM_ERR_PARAM = 4,
    BM_ERR_NOMEM = 5, BM_ERR_DATA = 6, BM_ERR_BUSY = 7, BM_ERR_NOFEATURE = 8, BM_NOT_SUPPORTED = 9
};

typedef struct bm_context *bm_handle_t;

typedef struct {
    uint64_t device_addr;
    uint32_t reserved;
    int32_t dmabuf_fd;
    uint32_t flags;
    uint32_t size;
} bm_device_mem_t;

typedef struct {
    int num_dims;
    int dims[8];
} bm_shape_t;

typedef struct {
    int dtype;
    bm_shape_t shape;
    bm_device_mem_t device_mem;
    int st_mode;
} bm_tensor_t;

/* libsophon >= 0.5.1: 32 bytes; EMU_LEGACY_STAGES builds the <= 0.5.0 layout (16 bytes), whose
 * runtime also lacks bmrt_create_ex - how the binding tells the two apart. */
typedef struct {
    bm_shape_t *input_shapes;
    bm_shape_t *output_shapes;
#ifndef EMU_LEGACY_STAGES
    bm_device_mem_t *input_mems;
    bm_device_mem_t *output_mems;
#endif
} bm_stage_info_t;

typedef struct {
    const char *name;
    bool is_dynamic;
    int input_num;
    const char **input_names;
    int *input_dtypes;
    float *input_scales;
    int output_num;
    const char **output_names;
    int *output_dtypes;
    float *output_scales;
    int stage_num;
    bm_stage_info_t *stages;
    size_t *max_input_bytes;
    size_t *max_output_bytes;
    int *input_zero_point;
    int *output_zero_point;
    int *input_loc_devices;
    int *output_loc_devices;
    int core_num;
    int32_t addr_mode;
} bm_net_info_t;

enum { DT_FLOAT32 = 0, DT_FLOAT16 = 1, DT_INT8 = 2, DT_UINT8 = 3, DT_INT16 = 4, DT_UINT16 = 5,
       DT_INT32 = 6, DT_UINT32 = 7, DT_BFLOAT16 = 8, DT_INT4 = 9, DT_UINT4 = 10 };

/* --- exported by the emulated libbmlib for libbmrt and for tests (bm_emu_*) --- */

/* Prints "sophon-emulator: FATAL: ..." and aborts: where the real library would throw a C++
 * exception across the C boundary or crash. */
EMU_EXPORT void bm_emu_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* True when fault injection says this call of fn fails; *status gets the status to return. */
EMU_EXPORT bool bm_emu_fault(const char *fn, int *status);
/* Host bytes behind a device address of this handle (NULL when it is in none of its allocations);
 * *size gets the bytes from there to the end of the allocation. */
EMU_EXPORT unsigned char *bm_emu_lookup(bm_handle_t handle, uint64_t device_addr, uint32_t *size);
/* Queues work to run at bm_thread_sync on the calling OS thread (or bm_handle_sync); it reads and
 * writes the device memory at the addresses (at most EMU_MAX_WORK_ADDRS), so freeing any of them
 * before it ran aborts. */
#define EMU_MAX_WORK_ADDRS 8
EMU_EXPORT void bm_emu_enqueue(bm_handle_t handle, void (*run)(void *), void *arg, const uint64_t *addrs, int count);
/* Counts runtimes created on a handle (+1 create, -1 destroy); validates the handle. */
EMU_EXPORT void bm_emu_runtime_attach(bm_handle_t handle, int delta);
/* Device allocations not freed, over all handles (leaks reported at bm_dev_free stay counted). */
EMU_EXPORT void bm_emu_outstanding(int *count, uint64_t *bytes);
/* Launches that bm_dev_free discarded because nobody synced them, over all handles (the vendor
 * frees them silently; a correct caller syncs every launch before teardown). */
EMU_EXPORT int bm_emu_unsynced(void);
/* The chip the emulator is (0x1686 BM1684X, the default; 0x1684 BM1684): bm_get_chipid reports it and
 * libbmcv enforces its limits. 0 resets to SOPHON_EMU_CHIP (hex) or the default. */
EMU_EXPORT void bm_emu_set_chip(unsigned int chip);
EMU_EXPORT unsigned int bm_emu_chip(void);
/* Sets the device count (-1: from SOPHON_EMU_DEVICES, default 1). */
EMU_EXPORT void bm_emu_set_devices(int count);

/* Test hook: the least time one launch occupies its device, in microseconds (-1: SOPHON_EMU_LAUNCH_US). */
EMU_EXPORT void bm_emu_set_launch_us(long us);
/* Replaces the fault spec ("fn:N[:status],..." - the Nth call of fn fails) and resets call counts. */
EMU_EXPORT void bm_emu_set_faults(const char *spec);

/* bmlib's allocation functions, used by libbmcv for images' own memory. */
EMU_EXPORT bm_status_t bm_malloc_device_byte(bm_handle_t handle, bm_device_mem_t *mem, unsigned int size);
EMU_EXPORT void bm_free_device(bm_handle_t handle, bm_device_mem_t mem);

#endif
