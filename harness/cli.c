/*
 * harness/cli.c — helpers shared by the verbs: usage errors, options, the
 * gzip-transparent line reader, clocks and small statistics.
 */
#include "cli.h"
#include "collector_registry.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

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
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- line reader ------------------------------------------------------- */

#define LINE_MAX_BYTES (1u << 16)

struct hl_line_reader {
    gzFile file;        /* zlib reads plain files unchanged, gzip by magic */
    size_t line_number; /* of the line last returned */
    const char *error;  /* NULL until a read error or an over-long line */
    bool complete;      /* the line last returned ended with a newline */
    char buffer[LINE_MAX_BYTES];
};

hl_line_reader *hl_line_reader_open(const char *path, char *err, size_t err_size)
{
    hl_line_reader *r = malloc(sizeof *r);
    if (r == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    errno = 0;
    r->file = gzopen(path, "rb");
    if (r->file == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", path,
                 errno ? strerror(errno) : "out of memory");
        free(r);
        return NULL;
    }
    gzbuffer(r->file, 1u << 17);
    r->line_number = 0;
    r->error = NULL;
    r->complete = true;
    return r;
}

char *hl_line_reader_next(hl_line_reader *r, size_t *line_number)
{
    if (r->error)
        return NULL;
    if (gzgets(r->file, r->buffer, sizeof r->buffer) == NULL) {
        int code;
        const char *msg = gzerror(r->file, &code);
        /* Z_BUF_ERROR is zlib's "unexpected end of file": a cut-off gzip
           stream is malformed input, not a clean end. */
        if (code != Z_OK)
            r->error = code == Z_BUF_ERROR ? "gzip stream ends early (truncated file)" : msg;
        else if (!gzeof(r->file))
            r->error = "read error";
        r->line_number++;
        *line_number = r->line_number;
        return NULL;
    }
    r->line_number++;
    *line_number = r->line_number;
    size_t len = strlen(r->buffer);
    bool complete = len > 0 && r->buffer[len - 1] == '\n';
    if (complete) {
        r->buffer[--len] = '\0';
        if (len > 0 && r->buffer[len - 1] == '\r')
            r->buffer[--len] = '\0';
    } else if (len == sizeof r->buffer - 1) {
        r->error = "line too long";
        return NULL;
    } else if (!gzeof(r->file)) {
        r->error = "NUL byte in line";
        return NULL;
    }
    if (memchr(r->buffer, '\0', len) != NULL) {
        r->error = "NUL byte in line";
        return NULL;
    }
    r->complete = complete;
    return r->buffer;
}

const char *hl_line_reader_error(const hl_line_reader *r)
{
    return r->error;
}

bool hl_line_reader_last_line_complete(const hl_line_reader *r)
{
    return r->complete;
}

void hl_line_reader_close(hl_line_reader *r)
{
    if (r) {
        gzclose(r->file);
        free(r);
    }
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

const char *hl_default_allocator_for(const char *gc_spec)
{
    const char *eq = strchr(gc_spec, '=');
    const hl_collector_ops *ops =
        hl_collector_find(gc_spec, eq ? (size_t)(eq - gc_spec) : strlen(gc_spec));
    return ops && ops->walks_heap ? "freelist_pool" : "malloc";
}
