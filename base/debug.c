/*
 * base/debug.c — the one place a failed debug check ends the process.
 */
#include "debug.h"

#include <stdio.h>
#include <stdlib.h>

void hl_debug_fail(const char *file, int line, const char *what, const char *why)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line, what, why ? ": " : "",
            why ? why : "");
    abort();
}
