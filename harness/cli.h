/*
 * harness/cli.h — the verbs of build/heaplab and what they share.
 *
 * Exit status, for every verb: 0 success, 1 a check failed (a test, a
 * --check replay error, a leak), 2 bad usage or malformed input.  Malformed
 * files are reported as "FILE:LINE: what is wrong" on stderr.
 */
#ifndef HEAPLAB_CLI_H
#define HEAPLAB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "line_reader.h"

#define HL_EXIT_OK 0
#define HL_EXIT_FAILED 1
#define HL_EXIT_USAGE 2

typedef struct hl_verb {
    const char *name;
    const char *usage;   /* arguments, for the usage message */
    const char *summary; /* one line */
    int (*run)(int argc, char **argv); /* argv[0] is the verb */
} hl_verb;

int hl_verb_list(int argc, char **argv);
int hl_verb_test(int argc, char **argv);
int hl_verb_heap(int argc, char **argv);
int hl_verb_trace(int argc, char **argv);
int hl_verb_stats(int argc, char **argv);
int hl_verb_compare(int argc, char **argv);
int hl_verb_python(int argc, char **argv);
int hl_verb_record(int argc, char **argv);
int hl_verb_bench_program(int argc, char **argv);
int hl_verb_run(int argc, char **argv);

/* The usage text of a verb (from the table in main.c). */
const char *hl_verb_usage(const char *name);

/* Prints "heaplab VERB: message" and the verb's usage to stderr; returns 2. */
int hl_usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Option scanning shared by the verbs: `--name VALUE` or `--name=VALUE`.
 * hl_option_value returns true when argv[*i] is --name, storing the value and
 * advancing *i past it; a missing value is a usage error (*bad set).
 */
bool hl_option_value(int argc, char **argv, int *i, const char *name, const char **value,
                     bool *bad);
/* Parses a positive count for --repeat and friends; false when malformed. */
bool hl_parse_count(const char *text, long max, long *out);

/*
 * The most bytes a replayed trace or graph may hold live at once: half the
 * physical memory, or HEAPLAB_MEMORY_CAP (bytes) when that is lower.  A
 * file asking for more fails with status 1 and a message before anything
 * is allocated, instead of the kernel's OOM killer ending the process.
 * False when HEAPLAB_MEMORY_CAP is not a plain decimal count.
 */
bool hl_memory_cap(uint64_t *cap);

/* Wall clock in nanoseconds (CLOCK_MONOTONIC). */
unsigned long long hl_now_ns(void);
/* Peak resident set of this process in KiB (getrusage). */
long hl_peak_rss_kib(void);
/* Median of n values (sorts the array in place). */
double hl_median(double *values, size_t n);
/* Writes s as a JSON string literal, quotes included. */
void hl_json_string(FILE *out, const char *s);

#endif
