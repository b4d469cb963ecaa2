/*
 * base/random.h — SplitMix64, heaplab's one pseudo-random generator.
 *
 * Small, fast, and every seed (0 included) gives a full-period stream of
 * 2^64 outputs, so a seed printed by a failing test or benchmark replays
 * exactly the same sequence on every machine and every allocator.
 */
#ifndef HEAPLAB_BASE_RANDOM_H
#define HEAPLAB_BASE_RANDOM_H

#include <stdint.h>

static inline uint64_t hl_random_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0 (the modulo bias is below 2^-40 for every n
   heaplab draws with). */
static inline uint64_t hl_random_below(uint64_t *state, uint64_t n)
{
    return hl_random_next(state) % n;
}

#endif /* HEAPLAB_BASE_RANDOM_H */
