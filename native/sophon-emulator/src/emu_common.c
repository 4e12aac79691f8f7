/* Fault injection and fatal errors, shared by the emulated libraries (they live in libbmlib). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define MAX_FAULTS 16
#define MAX_COUNTERS 64

typedef struct { char fn[64]; long nth; int status; } fault_t;
typedef struct { char fn[64]; long calls; } counter_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static fault_t g_faults[MAX_FAULTS];
static int g_fault_count;
static counter_t g_counters[MAX_COUNTERS];
static int g_counter_count;
static int g_loaded;

void bm_emu_fatal(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("sophon-emulator: FATAL: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    fflush(stderr);
    abort();
}

static void parse_locked(const char *spec)
{
    g_fault_count = 0;
    g_counter_count = 0;
    if (spec == NULL) {
        return;
    }
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL && g_fault_count < MAX_FAULTS; item = strtok_r(NULL, ",", &save)) {
        fault_t f = { .nth = 1, .status = BM_ERR_FAILURE };
        char *colon = strchr(item, ':');
        if (colon != NULL) {
            *colon = '\0';
            char *rest = colon + 1;
            f.nth = strtol(rest, &rest, 10);
            if (*rest == ':') {
                f.status = (int)strtol(rest + 1, NULL, 10);
            }
        }
        snprintf(f.fn, sizeof f.fn, "%s", item);
        if (f.fn[0] != '\0' && f.nth > 0) {
            g_faults[g_fault_count++] = f;
        }
    }
}

void bm_emu_set_faults(const char *spec)
{
    pthread_mutex_lock(&g_lock);
    g_loaded = 1;
    parse_locked(spec);
    pthread_mutex_unlock(&g_lock);
}

bool bm_emu_fault(const char *fn, int *status)
{
    bool fail = false;
    pthread_mutex_lock(&g_lock);
    if (!g_loaded) {
        g_loaded = 1;
        parse_locked(getenv("SOPHON_EMU_FAULTS"));
    }
    if (g_fault_count > 0) {
        counter_t *c = NULL;
        for (int i = 0; i < g_counter_count; i++) {
            if (strcmp(g_counters[i].fn, fn) == 0) {
                c = &g_counters[i];
            }
        }
        if (c == NULL && g_counter_count < MAX_COUNTERS) {
            c = &g_counters[g_counter_count++];
            snprintf(c->fn, sizeof c->fn, "%s", fn);
            c->calls = 0;
        }
        long calls = c != NULL ? ++c->calls : 0;
        for (int i = 0; i < g_fault_count; i++) {
            if (strcmp(g_faults[i].fn, fn) == 0 && g_faults[i].nth == calls) {
                fail = true;
                if (status != NULL) {
                    *status = g_faults[i].status;
                }
            }
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (fail) {
        fprintf(stderr, "sophon-emulator: injected failure of %s\n", fn);
    }
    return fail;
}
