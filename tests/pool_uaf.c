/*
 * tests/pool_uaf.c — a program for tests/25-pool-uaf.t, built by the test
 * from allocators/*.c and base/*.c with AddressSanitizer or with HL_VALGRIND=1.
 *
 *   pool_uaf SPEC clean   random churn with validate and a heap walk, then
 *                         destroy with blocks still live: a checker must
 *                         report nothing (the pools' own code is clean)
 *   pool_uaf SPEC read    frees a 48-byte object and reads byte 8 of it
 *   pool_uaf SPEC write   frees a 48-byte object and writes byte 8 of it
 *
 * For read and write it prints "freed block P" before the access, so the
 * test can check that the report names the address P + 8.
 */
#include "allocator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 512, STEPS = 20000 };

static void count_block(void *block, size_t usable, void *arg)
{
    (void)block, (void)usable;
    ++*(size_t *)arg;
}

static int clean(hl_allocator *a)
{
    void *block[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    unsigned long long seed = 12345;
    char why[300];
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t i = (size_t)(seed >> 33) % SLOTS, n = (size_t)(seed >> 20) % 700;
        if (block[i] == NULL) {
            block[i] = hl_mem_malloc(a, n);
            size[i] = n;
        } else if (seed & 1) {
            hl_mem_free(a, block[i], size[i]);
            block[i] = NULL;
            continue;
        } else {
            block[i] = hl_mem_realloc(a, block[i], size[i], n);
            size[i] = n;
        }
        if (block[i] == NULL)
            return 1;
        memset(block[i], 0x5A, size[i]);
        if (step % 1000 == 0 && !hl_allocator_validate(a, why, sizeof why)) {
            fprintf(stderr, "validate: %s\n", why);
            return 1;
        }
    }
    size_t visited = 0;
    hl_allocator_visit_blocks(a, count_block, &visited);
    printf("%zu blocks live at destroy\n", visited);
    return 0; /* the rest are freed by destroy */
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pool_uaf SPEC clean|read|write\n");
        return 2;
    }
    char err[300];
    hl_allocator *a = hl_allocator_open(argv[1], err, sizeof err);
    if (a == NULL) {
        fprintf(stderr, "pool_uaf: %s\n", err);
        return 2;
    }
    int status = 0;
    if (strcmp(argv[2], "clean") == 0) {
        status = clean(a);
    } else {
        unsigned char *neighbour = hl_mem_malloc(a, 48); /* keeps the pool in use */
        unsigned char *object = hl_mem_malloc(a, 48);
        if (neighbour == NULL || object == NULL)
            return 1;
        memset(object, 1, 48);
        hl_mem_free(a, object, 48);
        printf("freed block %p\n", (void *)object);
        fflush(stdout);
        volatile unsigned char *stale = object;
        if (strcmp(argv[2], "read") == 0)
            status = stale[8] == 0x77; /* the use after free */
        else
            stale[8] = 0x77; /* the use after free */
        hl_mem_free(a, neighbour, 48);
    }
    hl_allocator_close(a);
    return status;
}
