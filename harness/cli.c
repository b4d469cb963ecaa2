/*
 * harness/cli.c — helpers shared by the verbs: usage errors, options,
 * clocks and small statistics.
 */
#include "cli.h"
#include "parse.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int hl_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "heaplab %s: ", verb);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nusage: heaplab %s %s\n", verb, hl_verb_usage(verb));
    va_end(ap);
    return HL_EXIT_USAGE;
}

bool hl_option_value(int argc, char **argv, int *i, const char *name, const char **value,
                     bool *bad)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return false;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        *bad = **value == '\0'; /* "--alloc=" names nothing */
        return true;
    }
    if (arg[n] != '\0')
        return false;
    if (*i + 1 >= argc) {
        *bad = true;
        return true;
    }
    *value = argv[++*i];
    return true;
}

bool hl_parse_count(const char *text, long max, long *out)
{
    uint64_t v;
    if (!hl_parse_u64(text, 1, (uint64_t)max, &v))
        return false;
    *out = (long)v;
    return true;
}

/* ---- clocks and statistics --------------------------------------------- */

unsigned long long hl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

long hl_peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hl_median(double *values, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(values, n, sizeof *values, compare_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

void hl_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

bool hl_memory_cap(uint64_t *cap)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    uint64_t half = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size / 2
                                               : (uint64_t)1 << 30;
    const char *env = getenv("HEAPLAB_MEMORY_CAP");
    uint64_t limit = half;
    if (env != NULL && !hl_parse_u64(env, 0, UINT64_MAX, &limit))
        return false;
    *cap = limit < half ? limit : half;
    return true;
}
