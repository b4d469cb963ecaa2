/*
 * workloads/metrics.c — pause statistics: nearest-rank percentiles and the
 * minimum mutator utilization (MMU) of Cheng and Blelloch (PLDI 2001).
 *
 * MMU(w) is the smallest share of any window [t, t + w] inside the run
 * [0, T] left to the program.  The time collected in the window, g(t), is
 * piecewise linear in t, with slope (t + w inside a pause) - (t inside a
 * pause); a maximum of g is where the slope turns from positive to
 * negative, which happens only when the window's end leaves a pause
 * (t = end_i - w) or its start enters one (t = start_i), or at the ends of
 * the range (t = 0, t = T - w).  So the exact maximum is found by trying
 * those 2n + 2 windows.  Both candidate sequences are increasing, and so
 * is their merge, so one sweep with two cursors (the first pause ending
 * after t, the first starting at or after t + w) and a running sum of the
 * pauses between them gives each window's collected time in O(1): O(n)
 * in all, without memory.
 */
#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double hl_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    double r = ceil(p / 100.0 * (double)n);
    size_t rank = r < 1 ? 1 : r > (double)n ? n : (size_t)r;
    return sorted[rank - 1];
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bool hl_pause_summarize(const hl_pause *pauses, size_t n, hl_pause_summary *out)
{
    *out = (hl_pause_summary){.count = n};
    if (n == 0)
        return true;
    double *d = malloc(n * sizeof *d);
    if (d == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        d[i] = pauses[i].end_ms - pauses[i].start_ms;
        out->total_ms += d[i];
    }
    qsort(d, n, sizeof *d, compare_double);
    out->p50_ms = hl_percentile(d, n, 50);
    out->p99_ms = hl_percentile(d, n, 99);
    out->max_ms = d[n - 1];
    free(d);
    return true;
}

/* The sweep's state: pauses [lo, hi) overlap the current window, and sum
   is their total duration (unclipped). */
typedef struct sweep {
    const hl_pause *p;
    size_t n, lo, hi;
    double sum;
} sweep;

/* Time collected inside [t, t + w]; t never decreases between calls. */
static double collected_in(sweep *s, double t, double w)
{
    while (s->hi < s->n && s->p[s->hi].start_ms < t + w)
        s->sum += s->p[s->hi].end_ms - s->p[s->hi].start_ms, s->hi++;
    while (s->lo < s->hi && s->p[s->lo].end_ms <= t)
        s->sum -= s->p[s->lo].end_ms - s->p[s->lo].start_ms, s->lo++;
    if (s->lo == s->hi) {
        s->sum = 0; /* nothing inside: drop the rounding the sum carried */
        return 0;
    }
    double g = s->sum - fmax(0, t - s->p[s->lo].start_ms) -
               fmax(0, s->p[s->hi - 1].end_ms - (t + w));
    return g > 0 ? g : 0;
}

double hl_mmu(const hl_pause *pauses, size_t n, double run_ms, double window_ms)
{
    if (n == 0 || run_ms <= 0)
        return 1;
    if (window_ms >= run_ms) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += pauses[i].end_ms - pauses[i].start_ms;
        return fmin(1, fmax(0, 1 - total / run_ms));
    }
    double last = run_ms - window_ms, worst = 0;
    sweep s = {.p = pauses, .n = n};
    size_t i = 0, j = 0; /* next start_i, next end_j - w */
    worst = collected_in(&s, 0, window_ms);
    while (i < n || j < n) {
        double a = i < n ? pauses[i].start_ms : INFINITY;
        double b = j < n ? pauses[j].end_ms - window_ms : INFINITY;
        double t = a <= b ? (i++, a) : (j++, b);
        t = fmin(fmax(t, 0), last);
        worst = fmax(worst, collected_in(&s, t, window_ms));
    }
    worst = fmax(worst, collected_in(&s, last, window_ms));
    return fmin(1, fmax(0, 1 - worst / window_ms));
}

bool hl_pauses_validate(const hl_pause *pauses, size_t n, double run_ms, char *why,
                        size_t why_size)
{
    for (size_t i = 0; i < n; i++) {
        const hl_pause *p = &pauses[i];
        if (!(p->start_ms >= 0 && p->end_ms >= p->start_ms && p->end_ms <= run_ms)) {
            snprintf(why, why_size, "pause %zu [%g, %g] is not inside [0, %g]", i + 1,
                     p->start_ms, p->end_ms, run_ms);
            return false;
        }
        if (i > 0 && p->start_ms < pauses[i - 1].end_ms) {
            snprintf(why, why_size, "pause %zu starts before pause %zu ends", i + 1, i);
            return false;
        }
    }
    return true;
}
