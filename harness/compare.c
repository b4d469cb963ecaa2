/*
 * harness/compare.c — `heaplab compare [--cpu] OLD NEW`: two Google
 * Benchmark JSON files (build/heaplab-bench --benchmark_out=FILE
 * --benchmark_out_format=json, or any other program's) side by side, as a
 * Markdown table on stdout.
 *
 * Per benchmark (matched by run_name, else name): the median time of its
 * runs in each file, real_time unless --cpu, converted from its time_unit;
 * the ratio NEW/OLD; and, where both files have at least two repetitions of
 * it (entries with run_type "iteration"), the two-sided Mann-Whitney U test's
 * p-value for "the two sets of runs come from the same distribution" — the
 * test Google Benchmark's tools/compare.py applies.  A file written with
 * --benchmark_report_aggregates_only has no runs, only aggregates; then its
 * "median" (else "mean") aggregate stands for it and no p-value is given.
 * Runs that failed (error_occurred) are left out.  The last line is the
 * geometric mean of the ratios.
 *
 * The U test: exact (the distribution of U counted by recurrence) when
 * there are no ties and n1*n2 <= 400, as scipy's "auto" method does for small
 * samples; otherwise the normal approximation with tie and continuity
 * corrections.
 *
 * The JSON reader below is the whole of RFC 8259 that such files use, plus
 * the NaN and Infinity Google Benchmark writes for undefined counters.  A
 * malformed file is reported as FILE:LINE: what is wrong, exit status 2.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- the JSON reader ---------------------------------------------------------
 *
 * A value tree.  Invariant: an object's or array's children are `count`
 * values in `item`; an object's keys are parallel to them in `key`; every
 * value records the line it started on, for messages about its contents.
 */

typedef enum json_type { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } json_type;

typedef struct json {
    json_type type;
    size_t line;
    double number;      /* J_NUMBER, J_BOOL (0 or 1) */
    char *text;         /* J_STRING, NUL-terminated UTF-8 */
    struct json **item; /* J_ARRAY, J_OBJECT */
    char **key;         /* J_OBJECT */
    size_t count, capacity;
} json;

typedef struct parser {
    const char *p, *end;
    size_t line;     /* of p */
    char error[160]; /* the first error; parsing stops there */
    size_t error_line;
    int depth;
} parser;

#define JSON_MAX_DEPTH 64

static void *fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void *fail(parser *ps, const char *fmt, ...)
{
    if (ps->error[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->error, sizeof ps->error, fmt, ap);
        va_end(ap);
        ps->error_line = ps->line;
    }
    return NULL;
}

/* Grows the array *array of elem-byte items to hold at least need. */
static bool grow(void *array, size_t *capacity, size_t need, size_t elem)
{
    if (need <= *capacity)
        return true;
    size_t n = *capacity ? 2 * *capacity : 8;
    while (n < need)
        n *= 2;
    void *p = realloc(*(void **)array, n * elem);
    if (p == NULL)
        return false;
    *(void **)array = p;
    *capacity = n;
    return true;
}

static void json_free(json *v)
{
    for (size_t i = 0; v && i < v->count; i++) {
        json_free(v->item[i]);
        if (v->key)
            free(v->key[i]);
    }
    if (v) {
        free(v->item);
        free(v->key);
        free(v->text);
        free(v);
    }
}

static void skip_space(parser *ps)
{
    for (; ps->p < ps->end && *ps->p && strchr(" \t\r\n", *ps->p); ps->p++)
        ps->line += *ps->p == '\n';
}

/* Appends byte c to the string *s of *len bytes. */
static bool put(parser *ps, char **s, size_t *len, size_t *capacity, unsigned long c)
{
    if (!grow(s, capacity, *len + 2, 1))
        return fail(ps, "out of memory") != NULL;
    (*s)[(*len)++] = (char)c;
    (*s)[*len] = '\0';
    return true;
}

/* Code point cp as UTF-8: a lead byte, then 6 bits per continuation byte. */
static bool put_utf8(parser *ps, char **s, size_t *len, size_t *capacity, unsigned long cp)
{
    static const unsigned char lead[] = {0x00, 0xc0, 0xe0, 0xf0};
    int extra = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
    bool ok = put(ps, s, len, capacity, lead[extra] | cp >> (6 * extra));
    for (int k = extra - 1; ok && k >= 0; k--)
        ok = put(ps, s, len, capacity, 0x80 | ((cp >> (6 * k)) & 0x3f));
    return ok;
}

/* \uXXXX after the \u: its value, or -1. */
static long hex4(parser *ps)
{
    long v = 0;
    for (int i = 0; i < 4; i++, ps->p++) {
        if (ps->p >= ps->end || !isxdigit((unsigned char)*ps->p))
            return -1;
        v = v * 16 + (isdigit((unsigned char)*ps->p) ? *ps->p - '0' : tolower(*ps->p) - 'a' + 10);
    }
    return v;
}

/* The string literal at ps->p (its opening quote), as a new UTF-8 text. */
static char *parse_string(parser *ps)
{
    static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
    char *s = NULL;
    size_t len = 0, capacity = 0;
    bool ok = put(ps, &s, &len, &capacity, 0);
    len = 0;
    for (ps->p++; ok && ps->p < ps->end && *ps->p != '"';) {
        unsigned char c = (unsigned char)*ps->p++;
        const char *e;
        long cp, low;
        if (c < 0x20)
            ok = fail(ps, c == '\n' ? "unterminated string" : "control character in a string");
        else if (c != '\\')
            ok = put(ps, &s, &len, &capacity, c);
        else if (ps->p < ps->end && *ps->p != 'u' && *ps->p &&
                 (e = strchr(escapes, *ps->p)) != NULL && (e - escapes) % 2 == 0) {
            ok = put(ps, &s, &len, &capacity, (unsigned char)e[1]);
            ps->p++;
        } else if (ps->p < ps->end && *ps->p == 'u' && (ps->p++, cp = hex4(ps)) >= 0) {
            if (cp >= 0xd800 && cp < 0xdc00) { /* a surrogate pair: \uD8xx\uDCxx */
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                    (ps->p += 2, low = hex4(ps)) < 0xdc00 || low > 0xdfff) {
                    ok = fail(ps, "bad \\u surrogate pair in a string");
                    break;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            ok = put_utf8(ps, &s, &len, &capacity, (unsigned long)cp);
        } else {
            ok = fail(ps, "bad escape in a string");
        }
    }
    if (ok && ps->p >= ps->end)
        ok = fail(ps, "unterminated string");
    if (!ok) {
        free(s);
        return NULL;
    }
    ps->p++;
    return s;
}

static json *parse_value(parser *ps);

/* The array or object at ps->p; `object` says which. */
static json *parse_container(parser *ps, json *v, bool object)
{
    char close = object ? '}' : ']';
    size_t key_capacity = 0;
    if (++ps->depth > JSON_MAX_DEPTH)
        return fail(ps, "nested deeper than %d levels", JSON_MAX_DEPTH);
    ps->p++;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_space(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "expected a \"key\" in an object");
            if ((key = parse_string(ps)) == NULL)
                return NULL;
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                return fail(ps, "expected ':' after an object key");
            }
            ps->p++;
        }
        json *item = parse_value(ps);
        if (item == NULL || !grow(&v->item, &v->capacity, v->count + 1, sizeof *v->item) ||
            (object && !grow(&v->key, &key_capacity, v->count + 1, sizeof *v->key))) {
            free(key);
            json_free(item);
            return fail(ps, "out of memory");
        }
        if (object)
            v->key[v->count] = key;
        v->item[v->count++] = item;
        skip_space(ps);
        char c = ps->p < ps->end ? *ps->p : '\0';
        if (c != ',' && c != close)
            return fail(ps, c ? "expected ',' or the end of the %s" : "unexpected end of file in %s",
                        object ? "object" : "array");
        ps->p++;
        if (c == close) {
            ps->depth--;
            return v;
        }
    }
}

static json *parse_value(parser *ps)
{
    static const struct {
        const char *word;
        json_type type;
        double number;
    } words[] = {{"true", J_BOOL, 1},    {"false", J_BOOL, 0},    {"null", J_NULL, 0},
                 {"NaN", J_NUMBER, NAN}, {"-NaN", J_NUMBER, NAN}, {"Infinity", J_NUMBER, INFINITY},
                 {"-Infinity", J_NUMBER, -INFINITY}};
    skip_space(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end of file, expected a value");
    json *v = calloc(1, sizeof *v);
    if (v == NULL)
        return fail(ps, "out of memory");
    v->line = ps->line;
    const char *s = ps->p;
    if (*s == '{' || *s == '[') {
        v->type = *s == '{' ? J_OBJECT : J_ARRAY;
        if (parse_container(ps, v, *s == '{') == NULL) {
            json_free(v);
            return NULL;
        }
        return v;
    }
    if (*s == '"') {
        v->type = J_STRING;
        if ((v->text = parse_string(ps)) == NULL) {
            json_free(v);
            return NULL;
        }
        return v;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(ps->end - s) >= n && strncmp(s, words[i].word, n) == 0) {
            v->type = words[i].type;
            v->number = words[i].number;
            ps->p += n;
            return v;
        }
    }
    /* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    s += s < ps->end && *s == '-';
    const char *digits = s;
    while (s < ps->end && isdigit((unsigned char)*s))
        s++;
    bool ok = s > digits && !(*digits == '0' && s - digits > 1);
    if (ok && s < ps->end && *s == '.') {
        const char *fraction = ++s;
        while (s < ps->end && isdigit((unsigned char)*s))
            s++;
        ok = s > fraction;
    }
    if (ok && s < ps->end && (*s == 'e' || *s == 'E')) {
        s += s + 1 < ps->end && (s[1] == '+' || s[1] == '-') ? 2 : 1;
        const char *exponent = s;
        while (s < ps->end && isdigit((unsigned char)*s))
            s++;
        ok = s > exponent;
    }
    char text[64];
    if (!ok || (size_t)(s - ps->p) >= sizeof text) {
        free(v);
        return fail(ps, isprint((unsigned char)*ps->p) ? "unexpected '%c', expected a value"
                                                       : "unexpected byte 0x%02x, expected a value",
                    (unsigned char)*ps->p);
    }
    memcpy(text, ps->p, (size_t)(s - ps->p));
    text[s - ps->p] = '\0';
    v->type = J_NUMBER;
    v->number = strtod(text, NULL);
    ps->p = s;
    return v;
}

/* Reads and parses a whole file; NULL after printing FILE:LINE: reason. */
static json *json_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, capacity = 0, n = 1;
    while (n > 0 && grow(&text, &capacity, len + 65536, 1))
        len += n = fread(text + len, 1, 65536, f);
    bool read_failed = ferror(f) || n > 0;
    fclose(f);
    parser ps = {.p = text, .end = text + len, .line = 1};
    json *root = NULL;
    if (read_failed)
        fail(&ps, "cannot read the file");
    else if ((root = parse_value(&ps)) != NULL) {
        skip_space(&ps);
        if (ps.p < ps.end) {
            json_free(root);
            root = fail(&ps, "unexpected text after the JSON value");
        }
    }
    if (root == NULL)
        fprintf(stderr, "%s:%zu: %s\n", path, ps.error_line, ps.error);
    free(text);
    return root;
}

static json *member(const json *object, const char *key)
{
    for (size_t i = 0; object->type == J_OBJECT && i < object->count; i++)
        if (strcmp(object->key[i], key) == 0)
            return object->item[i];
    return NULL;
}

static const char *member_string(const json *object, const char *key)
{
    const json *v = member(object, key);
    return v && v->type == J_STRING ? v->text : NULL;
}

/* ---- one file's benchmarks ------------------------------------------------- */

/* A benchmark's runs, in nanoseconds, or failing those its aggregates. */
typedef struct entry {
    const char *name; /* run_name, else name: borrowed from the tree */
    double *runs;     /* run_type "iteration" */
    size_t run_count, run_capacity;
    double median, mean; /* aggregates, NAN when absent */
} entry;

typedef struct bench_file {
    const char *path;
    json *root;
    entry *entries; /* in file order */
    size_t count, capacity;
} bench_file;

static void bench_file_free(bench_file *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->entries[i].runs);
    free(f->entries);
    json_free(f->root);
}

static entry *find_entry(const bench_file *f, const char *name)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->entries[i].name, name) == 0)
            return &f->entries[i];
    return NULL;
}

static bool bad_entry(const bench_file *f, const json *at, const char *what)
{
    fprintf(stderr, "%s:%zu: %s\n", f->path, at->line, what);
    return false;
}

/* Adds one element of "benchmarks" to f; false (reported) when malformed. */
static bool add_run(bench_file *f, const json *b, bool cpu)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    if (b->type != J_OBJECT)
        return bad_entry(f, b, "a \"benchmarks\" element is not an object");
    const json *failed = member(b, "error_occurred");
    if (failed && failed->type == J_BOOL && failed->number != 0)
        return true;
    const char *name = member_string(b, "run_name");
    if (name == NULL && (name = member_string(b, "name")) == NULL)
        return bad_entry(f, b, "a benchmark without a \"name\"");
    const json *time = member(b, cpu ? "cpu_time" : "real_time");
    if (time == NULL || time->type != J_NUMBER)
        return bad_entry(f, b, cpu ? "a benchmark without a numeric \"cpu_time\""
                                   : "a benchmark without a numeric \"real_time\"");
    const char *unit = member_string(b, "time_unit");
    double scale = unit ? 0 : 1;
    for (size_t i = 0; unit && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0)
            scale = units[i].ns;
    if (scale == 0)
        return bad_entry(f, b, "unknown \"time_unit\" (expected ns, us, ms or s)");
    entry *e = find_entry(f, name);
    if (e == NULL) {
        if (!grow(&f->entries, &f->capacity, f->count + 1, sizeof *f->entries))
            return bad_entry(f, b, "out of memory");
        e = &f->entries[f->count++];
        *e = (entry){.name = name, .median = NAN, .mean = NAN};
    }
    const char *run_type = member_string(b, "run_type");
    if (run_type && strcmp(run_type, "aggregate") == 0) {
        const char *aggregate = member_string(b, "aggregate_name");
        if (aggregate && strcmp(aggregate, "median") == 0)
            e->median = time->number * scale;
        else if (aggregate && strcmp(aggregate, "mean") == 0)
            e->mean = time->number * scale;
        return true;
    }
    if (!grow(&e->runs, &e->run_capacity, e->run_count + 1, sizeof *e->runs))
        return bad_entry(f, b, "out of memory");
    e->runs[e->run_count++] = time->number * scale;
    return true;
}

static bool bench_file_load(bench_file *f, const char *path, bool cpu)
{
    *f = (bench_file){.path = path};
    if ((f->root = json_load(path)) == NULL)
        return false;
    const json *list = member(f->root, "benchmarks");
    if (list == NULL || list->type != J_ARRAY)
        return bad_entry(f, f->root, "no \"benchmarks\" array: not Google Benchmark JSON");
    for (size_t i = 0; i < list->count; i++)
        if (!add_run(f, list->item[i], cpu))
            return false;
    return true;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of the runs, else the median or mean aggregate, else NAN. */
static double entry_time(const entry *e)
{
    if (e->run_count == 0)
        return !isnan(e->median) ? e->median : e->mean;
    double *copy = malloc(e->run_count * sizeof *copy);
    if (copy == NULL)
        return NAN;
    memcpy(copy, e->runs, e->run_count * sizeof *copy);
    double median = hl_median(copy, e->run_count);
    free(copy);
    return median;
}

/* ---- the Mann-Whitney U test ------------------------------------------------ */

typedef struct ranked {
    double value;
    int group; /* 0: first sample, 1: second */
} ranked;

static int compare_ranked(const void *a, const void *b)
{
    return compare_double(&((const ranked *)a)->value, &((const ranked *)b)->value);
}

/* P(U <= u) for samples of n1 and n2 without ties: the coefficients of the
   Gaussian binomial [n1+n2 choose n1] in q count the orderings by U. */
static double exact_cdf(size_t n1, size_t n2, double u)
{
    size_t length = n1 * n2 + n1 + n2 + 1;
    double *c = calloc(length, sizeof *c), total = 0, below = 0;
    if (c == NULL)
        return NAN;
    c[0] = 1;
    for (size_t k = 1; k <= n1; k++) {
        for (size_t i = length; i-- > n2 + k;) /* times (1 - q^(n2+k)) */
            c[i] -= c[i - n2 - k];
        for (size_t i = k; i < length; i++) /* over (1 - q^k) */
            c[i] += c[i - k];
    }
    for (size_t i = 0; i <= n1 * n2; i++) {
        total += c[i];
        below += (double)i <= u ? c[i] : 0;
    }
    free(c);
    return below / total;
}

/* Two-sided p-value that a and b come from one distribution; NAN on failure. */
static double mann_whitney(const double *a, size_t n1, const double *b, size_t n2)
{
    size_t n = n1 + n2;
    ranked *r = malloc(n * sizeof *r);
    if (r == NULL)
        return NAN;
    for (size_t i = 0; i < n; i++)
        r[i] = i < n1 ? (ranked){a[i], 0} : (ranked){b[i - n1], 1};
    qsort(r, n, sizeof *r, compare_ranked);
    double rank_sum = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && r[j].value == r[i].value)
            j++;
        double t = (double)(j - i), rank = (double)(i + j + 1) / 2; /* average rank */
        for (size_t k = i; k < j; k++)
            rank_sum += r[k].group == 0 ? rank : 0;
        ties += t * t * t - t;
        i = j;
    }
    free(r);
    double u1 = rank_sum - (double)n1 * (double)(n1 + 1) / 2;
    double u2 = (double)n1 * (double)n2 - u1;
    if (ties == 0 && n1 * n2 <= 400)
        return fmin(1.0, 2 * exact_cdf(n1, n2, fmin(u1, u2)));
    double mu = (double)n1 * (double)n2 / 2;
    double var = (double)n1 * (double)n2 / 12 *
                 ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
    if (var <= 0)
        return 1.0;
    double z = (fmax(u1, u2) - mu - 0.5) / sqrt(var);
    return fmin(1.0, erfc(z / sqrt(2.0)));
}

/* ---- the verb ------------------------------------------------------------------ */

static void print_time(double ns)
{
    if (isnan(ns))
        printf(" n/a |");
    else if (ns < 1e3)
        printf(" %.2f ns |", ns);
    else if (ns < 1e6)
        printf(" %.2f µs |", ns / 1e3);
    else if (ns < 1e9)
        printf(" %.2f ms |", ns / 1e6);
    else
        printf(" %.3f s |", ns / 1e9);
}

int hl_verb_compare(int argc, char **argv)
{
    const char *verb = argv[0], *paths[2];
    int path_count = 0;
    bool cpu = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cpu") == 0)
            cpu = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hl_usage_error(verb, "unknown option '%s'", argv[i]);
        else if (path_count == 2)
            return hl_usage_error(verb, "two files only, OLD and NEW");
        else
            paths[path_count++] = argv[i];
    }
    if (path_count != 2)
        return hl_usage_error(verb, "two Google Benchmark JSON files wanted, OLD and NEW");
    bench_file old = {0}, new = {0};
    if (!bench_file_load(&old, paths[0], cpu) || !bench_file_load(&new, paths[1], cpu)) {
        bench_file_free(&old);
        bench_file_free(&new);
        return HL_EXIT_USAGE;
    }
    printf("# %s: `%s` against `%s`\n\n", cpu ? "cpu_time" : "real_time", paths[1], paths[0]);
    printf("| benchmark | old | new | new/old | p (U test) | runs |\n");
    printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    double log_sum = 0;
    size_t compared = 0, only_new = 0;
    for (size_t i = 0; i < new.count; i++) {
        const entry *b = &new.entries[i], *a = find_entry(&old, b->name);
        if (a == NULL) {
            only_new++;
            continue;
        }
        double t_old = entry_time(a), t_new = entry_time(b), ratio = t_new / t_old;
        printf("| %s |", b->name);
        print_time(t_old);
        print_time(t_new);
        if (t_old > 0 && t_new > 0 && isfinite(ratio)) {
            printf(" %.3f |", ratio);
            log_sum += log(ratio);
            compared++;
        } else {
            printf(" n/a |");
        }
        if (a->run_count >= 2 && b->run_count >= 2) {
            double p = mann_whitney(a->runs, a->run_count, b->runs, b->run_count);
            printf(p < 0.001 ? " <0.001 |" : " %.3f |", p);
        } else {
            printf(" – |");
        }
        printf(" %zu/%zu |\n", a->run_count, b->run_count);
    }
    if (compared)
        printf("\nGeometric mean of new/old over %zu benchmarks: **%.3f**\n", compared,
               exp(log_sum / (double)compared));
    else
        printf("\nNo benchmark is in both files.\n");
    size_t only_old = 0;
    for (size_t i = 0; i < old.count; i++)
        only_old += find_entry(&new, old.entries[i].name) == NULL;
    if (only_old || only_new)
        printf("\n%zu benchmarks only in old, %zu only in new.\n", only_old, only_new);
    bench_file_free(&old);
    bench_file_free(&new);
    return HL_EXIT_OK;
}
