/* Emulated libbmlib: devices, device memory (host memory behind handles, bounds-checked and
 * counted), and the per-OS-thread asynchronous work queue that bm_thread_sync runs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu.h"

_Static_assert(sizeof(bm_device_mem_t) == 24, "bm_device_mem_t is 24 bytes");

#define HANDLE_MAGIC 0x534f5048u /* "SOPH" */

typedef struct alloc {
    uint64_t addr;
    uint32_t size;
    unsigned char *data;
    struct alloc *next;
} alloc_t;

typedef struct work {
    pid_t tid;
    uint64_t addrs[EMU_MAX_WORK_ADDRS];
    int addr_num;
    void (*run)(void *);
    void *arg;
    struct work *next;
} work_t;

#define FREED_RING 4096

struct bm_context {
    uint32_t magic;
    int devid;
    pthread_mutex_t lock;
    alloc_t *allocs;
    int runtimes;
    work_t *work;
    uint64_t next_addr;
    /* The last FREED_RING ranges bm_free_device returned (addresses are never reused here), so a
     * use through a stale bm_device_mem_t is caught instead of reading what the next allocation put
     * there, as it would on the board (bmlib_memory.cpp's bm_free_device gives the range back to the
     * heap at once). */
    struct { uint64_t addr; uint32_t size; } freed[FREED_RING];
    unsigned freed_next;
};

static atomic_int g_count;
static atomic_int g_unsynced; /* launches discarded by bm_dev_free without a sync, over all handles */
static _Atomic uint64_t g_bytes;

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void check_handle(bm_handle_t handle, const char *fn)
{
    if (handle == NULL || handle->magic != HANDLE_MAGIC) {
        bm_emu_fatal("%s: invalid bm_handle_t %p (NULL, freed, or not from bm_dev_request)", fn, (void *)handle);
    }
}

static atomic_int g_devices = -1; /* -1: SOPHON_EMU_DEVICES, default 1 */

static int device_count(void)
{
    int set = atomic_load(&g_devices);
    if (set >= 0) {
        return set;
    }
    const char *env = getenv("SOPHON_EMU_DEVICES");
    return env != NULL ? atoi(env) : 1;
}

void bm_emu_set_devices(int count) { atomic_store(&g_devices, count); }

static atomic_uint g_chip; /* 0: SOPHON_EMU_CHIP, default BM1684X */

void bm_emu_set_chip(unsigned int chip) { atomic_store(&g_chip, chip); }

unsigned int bm_emu_chip(void)
{
    unsigned int chip = atomic_load(&g_chip);
    if (chip != 0) {
        return chip;
    }
    const char *env = getenv("SOPHON_EMU_CHIP");
    return env != NULL && strtoul(env, NULL, 16) != 0 ? (unsigned int)strtoul(env, NULL, 16) : 0x1686u;
}

/* bm_dev_getcount (bmlib/src/bmlib_runtime.cpp): the driver's count; with no device it fails and
 * leaves *count as it was. A NULL count is written through by the vendor: here an abort. */
EMU_EXPORT bm_status_t bm_dev_getcount(int *count)
{
    int status;
    if (bm_emu_fault("bm_dev_getcount", &status)) {
        return status;
    }
    if (count == NULL) {
        bm_emu_fatal("bm_dev_getcount: count is NULL");
    }
    int n = device_count();
    if (n <= 0) {
        return BM_ERR_FAILURE; /* like the driver: no device, count left untouched */
    }
    *count = n;
    return BM_SUCCESS;
}

/* bm_dev_request (bmlib_runtime.cpp): "Create BM Handle Failed" and a failure for a device that does
 * not exist; each call is a new handle (its own memory and work queue here). */
EMU_EXPORT bm_status_t bm_dev_request(bm_handle_t *handle, int devid)
{
    int status;
    if (handle == NULL) {
        bm_emu_fatal("bm_dev_request: handle pointer is NULL");
    }
    *handle = NULL;
    if (bm_emu_fault("bm_dev_request", &status)) {
        printf("Create BM Handle Failed for dev%d\n", devid);
        return status;
    }
    if (devid < 0 || devid >= device_count()) {
        printf("Create BM Handle Failed for dev%d\n", devid);
        return BM_ERR_FAILURE;
    }
    struct bm_context *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return BM_ERR_NOMEM;
    }
    ctx->magic = HANDLE_MAGIC;
    ctx->devid = devid;
    ctx->next_addr = 0x100000000ull + ((uint64_t)devid << 36);
    pthread_mutex_init(&ctx->lock, NULL);
    *handle = ctx;
    return BM_SUCCESS;
}

/* bm_dev_free (bmlib_runtime.cpp) closes the device under whatever still uses it: a runtime alive on
 * it is a use after free in libbmrt (here an abort naming the vendor's teardown order); memory and
 * unsynced launches left behind are reported, as the driver's handle cleanup would drop them. */
EMU_EXPORT void bm_dev_free(bm_handle_t handle)
{
    check_handle(handle, "bm_dev_free");
    pthread_mutex_lock(&handle->lock);
    if (handle->runtimes > 0) {
        bm_emu_fatal("bm_dev_free: %d runtime(s) still alive on dev%d; teardown order is device memory, then bmrt_destroy, then bm_dev_free",
                     handle->runtimes, handle->devid);
    }
    int leaked = 0;
    uint64_t leaked_bytes = 0;
    for (alloc_t *a = handle->allocs; a != NULL;) {
        alloc_t *next = a->next;
        leaked++;
        leaked_bytes += a->size;
        free(a->data);
        free(a);
        a = next; /* leaked allocations stay in the global outstanding count */
    }
    int pending = 0;
    for (work_t *w = handle->work; w != NULL;) {
        work_t *next = w->next;
        pending++;
        free(w->arg);
        free(w);
        w = next;
    }
    atomic_fetch_add(&g_unsynced, pending);
    if (leaked > 0 || pending > 0) {
        fprintf(stderr, "sophon-emulator: leak report at bm_dev_free(dev%d): %d allocation(s), %llu bytes outstanding; %d launch(es) never synced\n",
                handle->devid, leaked, (unsigned long long)leaked_bytes, pending);
    }
    handle->magic = 0;
    pthread_mutex_unlock(&handle->lock);
    pthread_mutex_destroy(&handle->lock);
    free(handle);
}

/* bm_get_chipid (bmlib_runtime.cpp): 0x1686 for the BM1684X, 0x1684 for the BM1684. */
EMU_EXPORT bm_status_t bm_get_chipid(bm_handle_t handle, unsigned int *chipid)
{
    int status;
    check_handle(handle, "bm_get_chipid");
    if (bm_emu_fault("bm_get_chipid", &status)) {
        return status;
    }
    if (chipid == NULL) {
        return BM_ERR_PARAM;
    }
    *chipid = bm_emu_chip();
    return BM_SUCCESS;
}

/* bm_dev_stat_t (bmlib_runtime.h); sizes in MiB, as the driver reports them (driver/bm_fops.c). */
typedef struct {
    int mem_total;
    int mem_used;
    int tpu_util;
    int heap_num;
    struct { unsigned int mem_total, mem_avail, mem_used; } heap_stat[4];
} bm_dev_stat_t;

/* bm_get_stat (bmlib/src/bmlib_runtime.cpp): a NULL handle is BM_ERR_DEVNOTREADY, a NULL stat
 * BM_ERR_PARAM. The emulated device has the BM1684X's 12 GiB in three heaps; used is what this
 * handle has allocated. */
EMU_EXPORT bm_status_t bm_get_stat(bm_handle_t handle, bm_dev_stat_t *stat)
{
    int status;
    if (handle == NULL) {
        return BM_ERR_DEVNOTREADY;
    }
    check_handle(handle, "bm_get_stat");
    if (bm_emu_fault("bm_get_stat", &status)) {
        return status;
    }
    if (stat == NULL) {
        return BM_ERR_PARAM;
    }
    uint64_t used = 0;
    pthread_mutex_lock(&handle->lock);
    for (alloc_t *a = handle->allocs; a != NULL; a = a->next) {
        used += a->size;
    }
    pthread_mutex_unlock(&handle->lock);
    memset(stat, 0, sizeof *stat);
    stat->heap_num = 3;
    const unsigned int heaps[3] = { 4096, 4096, 4096 };
    for (int i = 0; i < 3; i++) {
        stat->heap_stat[i].mem_total = heaps[i];
        stat->mem_total += (int)heaps[i];
    }
    stat->mem_used = (int)(used >> 20);
    stat->heap_stat[2].mem_used = (unsigned int)(used >> 20);
    for (int i = 0; i < 3; i++) {
        stat->heap_stat[i].mem_avail = stat->heap_stat[i].mem_total - stat->heap_stat[i].mem_used;
    }
    return BM_SUCCESS;
}

/* bm_malloc_device_byte (bmlib/src/bmlib_memory.cpp): a NULL handle or mem is BM_ERR_DEVNOTREADY;
 * the memory is typed BM_MEM_TYPE_DEVICE with the size asked. A zero size is refused here. */
EMU_EXPORT bm_status_t bm_malloc_device_byte(bm_handle_t handle, bm_device_mem_t *mem, unsigned int size)
{
    int status;
    if (handle == NULL || mem == NULL) {
        return BM_ERR_DEVNOTREADY;
    }
    check_handle(handle, "bm_malloc_device_byte");
    if (bm_emu_fault("bm_malloc_device_byte", &status)) {
        return status;
    }
    if (size == 0) {
        return BM_ERR_PARAM;
    }
    alloc_t *a = calloc(1, sizeof *a);
    unsigned char *data = calloc(1, size);
    if (a == NULL || data == NULL) {
        free(a);
        free(data);
        return BM_ERR_NOMEM;
    }
    pthread_mutex_lock(&handle->lock);
    a->addr = handle->next_addr;
    a->size = size;
    a->data = data;
    a->next = handle->allocs;
    handle->allocs = a;
    handle->next_addr += ((uint64_t)size + 4095u) / 4096u * 4096u + 4096u;
    pthread_mutex_unlock(&handle->lock);
    atomic_fetch_add(&g_count, 1);
    atomic_fetch_add(&g_bytes, size);
    memset(mem, 0, sizeof *mem);
    mem->device_addr = a->addr;
    mem->flags = 0; /* BM_MEM_TYPE_DEVICE */
    mem->size = size;
    return BM_SUCCESS;
}

/* bm_free_device (bmlib_memory.cpp) gives the range back to the heap at once (bm_free_gmem): a second
 * free, or freeing what a queued launch still uses, corrupts the heap or the launch on a board;
 * here both abort. */
EMU_EXPORT void bm_free_device(bm_handle_t handle, bm_device_mem_t mem)
{
    check_handle(handle, "bm_free_device");
    pthread_mutex_lock(&handle->lock);
    alloc_t **link = &handle->allocs;
    while (*link != NULL && (*link)->addr != mem.device_addr) {
        link = &(*link)->next;
    }
    if (*link == NULL) {
        bm_emu_fatal("bm_free_device: 0x%llx is not a live allocation of dev%d (freed twice, or allocated through another handle)",
                     (unsigned long long)mem.device_addr, handle->devid);
    }
    alloc_t *a = *link;
    for (work_t *w = handle->work; w != NULL; w = w->next) {
        for (int i = 0; i < w->addr_num; i++) {
            if (w->addrs[i] >= a->addr && w->addrs[i] < a->addr + a->size) {
                bm_emu_fatal("bm_free_device: 0x%llx of dev%d is used by a launch not synced yet (use after free on the device); sync (bm_thread_sync on the launching thread, or bm_handle_sync) before freeing",
                             (unsigned long long)a->addr, handle->devid);
            }
        }
    }
    *link = a->next;
    handle->freed[handle->freed_next % FREED_RING].addr = a->addr;
    handle->freed[handle->freed_next % FREED_RING].size = a->size;
    handle->freed_next++;
    pthread_mutex_unlock(&handle->lock);
    atomic_fetch_sub(&g_count, 1);
    atomic_fetch_sub(&g_bytes, a->size);
    free(a->data);
    free(a);
}

unsigned char *bm_emu_lookup(bm_handle_t handle, uint64_t device_addr, uint32_t *size)
{
    check_handle(handle, "device memory lookup");
    unsigned char *data = NULL;
    pthread_mutex_lock(&handle->lock);
    /* Any address inside an allocation is device memory (sub-ranges: a batch slot, an attached image). */
    for (alloc_t *a = handle->allocs; a != NULL; a = a->next) {
        if (device_addr >= a->addr && device_addr < a->addr + a->size) {
            data = a->data + (device_addr - a->addr);
            *size = (uint32_t)(a->size - (device_addr - a->addr));
        }
    }
    int stale = 0;
    for (unsigned i = 0; data == NULL && i < FREED_RING && i < handle->freed_next; i++) {
        stale |= device_addr >= handle->freed[i].addr && device_addr < handle->freed[i].addr + handle->freed[i].size;
    }
    pthread_mutex_unlock(&handle->lock);
    if (stale) {
        bm_emu_fatal("device memory 0x%llx of dev%d was freed by bm_free_device and is used again (a handle disposed while a call used it?); on a board this reads or overwrites whatever was allocated there next",
                     (unsigned long long)device_addr, handle->devid);
    }
    return data;
}

/* bm_memcpy_s2d_partial / bm_memcpy_d2s_partial (bmlib_memory.cpp, the _offset forms): more bytes
 * than the bm_device_mem_t's size is BM_ERR_PARAM ("new device addr exceeds old device addr"). */
static bm_status_t copy(bm_handle_t handle, const char *fn, bm_device_mem_t mem, void *host, unsigned int size, int to_device)
{
    int status;
    check_handle(handle, fn);
    if (bm_emu_fault(fn, &status)) {
        return status;
    }
    if (host == NULL) {
        bm_emu_fatal("%s: host pointer is NULL", fn);
    }
    uint32_t capacity = 0;
    unsigned char *data = bm_emu_lookup(handle, mem.device_addr, &capacity);
    if (data == NULL) {
        fprintf(stderr, "sophon-emulator: %s: 0x%llx is not device memory of dev%d\n", fn, (unsigned long long)mem.device_addr, handle->devid);
        return BM_ERR_PARAM;
    }
    if (size > capacity || size > mem.size) {
        fprintf(stderr, "sophon-emulator: %s: %u bytes do not fit a %u-byte buffer\n", fn, size, capacity);
        return BM_ERR_PARAM;
    }
    if (to_device) {
        memcpy(data, host, size);
    } else {
        memcpy(host, data, size);
    }
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bm_memcpy_s2d_partial(bm_handle_t handle, bm_device_mem_t dst, void *src, unsigned int size)
{
    return copy(handle, "bm_memcpy_s2d_partial", dst, src, size, 1);
}

EMU_EXPORT bm_status_t bm_memcpy_d2s_partial(bm_handle_t handle, void *dst, bm_device_mem_t src, unsigned int size)
{
    return copy(handle, "bm_memcpy_d2s_partial", src, dst, size, 0);
}

EMU_EXPORT bm_status_t bm_memcpy_s2d(bm_handle_t handle, bm_device_mem_t dst, void *src)
{
    return copy(handle, "bm_memcpy_s2d", dst, src, dst.size, 1);
}

EMU_EXPORT bm_status_t bm_memcpy_d2s(bm_handle_t handle, void *dst, bm_device_mem_t src)
{
    return copy(handle, "bm_memcpy_d2s", src, dst, src.size, 0);
}

EMU_EXPORT unsigned int bm_mem_get_device_size(bm_device_mem_t mem) { return mem.size; }

void bm_emu_enqueue(bm_handle_t handle, void (*run)(void *), void *arg, const uint64_t *addrs, int count)
{
    check_handle(handle, "launch");
    if (count < 0 || count > EMU_MAX_WORK_ADDRS) {
        bm_emu_fatal("bm_emu_enqueue: %d device addresses (at most %d)", count, EMU_MAX_WORK_ADDRS);
    }
    work_t *w = calloc(1, sizeof *w);
    if (w == NULL) {
        bm_emu_fatal("out of memory queueing a launch");
    }
    w->tid = current_tid();
    memcpy(w->addrs, addrs, (size_t)count * sizeof *addrs);
    w->addr_num = count;
    w->run = run;
    w->arg = arg;
    pthread_mutex_lock(&handle->lock);
    work_t **tail = &handle->work;
    while (*tail != NULL) {
        tail = &(*tail)->next;
    }
    *tail = w;
    pthread_mutex_unlock(&handle->lock);
}

/* Runs (in launch order) the queued work of one thread, or of all threads when tid is 0. */
static void run_work(bm_handle_t handle, pid_t tid)
{
    work_t *mine = NULL, **mine_tail = &mine;
    pthread_mutex_lock(&handle->lock);
    for (work_t **link = &handle->work; *link != NULL;) {
        work_t *w = *link;
        if (tid == 0 || w->tid == tid) {
            *link = w->next;
            w->next = NULL;
            *mine_tail = w;
            mine_tail = &w->next;
        } else {
            link = &w->next;
        }
    }
    pthread_mutex_unlock(&handle->lock);
    while (mine != NULL) {
        work_t *next = mine->next;
        mine->run(mine->arg);
        free(mine->arg);
        free(mine);
        mine = next;
    }
}

/* bm_thread_sync (bmlib_runtime.cpp): the BMDEV_THREAD_SYNC_API ioctl waits for the API calls the
 * calling thread sent; bm_handle_sync (BMDEV_HANDLE_SYNC_API) for all sent through the handle. */
EMU_EXPORT bm_status_t bm_thread_sync(bm_handle_t handle)
{
    int status;
    check_handle(handle, "bm_thread_sync");
    if (bm_emu_fault("bm_thread_sync", &status)) {
        return status;
    }
    /* Like the driver: waits only for work launched by the calling OS thread. */
    run_work(handle, current_tid());
    return BM_SUCCESS;
}

EMU_EXPORT bm_status_t bm_handle_sync(bm_handle_t handle)
{
    int status;
    check_handle(handle, "bm_handle_sync");
    if (bm_emu_fault("bm_handle_sync", &status)) {
        return status;
    }
    run_work(handle, 0);
    return BM_SUCCESS;
}

EMU_EXPORT void bmlib_log_set_level(int level) { (void)level; }

void bm_emu_runtime_attach(bm_handle_t handle, int delta)
{
    check_handle(handle, delta > 0 ? "bmrt_create" : "bmrt_destroy");
    pthread_mutex_lock(&handle->lock);
    handle->runtimes += delta;
    pthread_mutex_unlock(&handle->lock);
}

int bm_emu_unsynced(void)
{
    return atomic_load(&g_unsynced);
}

void bm_emu_outstanding(int *count, uint64_t *bytes)
{
    if (count != NULL) {
        *count = atomic_load(&g_count);
    }
    if (bytes != NULL) {
        *bytes = atomic_load(&g_bytes);
    }
}
