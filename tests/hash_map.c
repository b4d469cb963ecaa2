/*
 * tests/hash_map.c — base/hash_map.h against a plain array of every key's
 * state, for tests/26-hash-map.t.  Runs ROUNDS random inserts, finds and
 * removes over a small key universe (so probe runs collide, wrap around
 * the table's end and are shifted back by removals), starting from the
 * smallest table so that it grows; after every step the map must agree
 * with the array (every key found or not as expected, with its payload)
 * and pass hl_hash_map_validate.  Then it damages a table on purpose and
 * checks that validate says so.  Prints TAP comments; exit 0 when all
 * held.  `./hash_map KEYS STRIDE SEED`: keys are STRIDE * (1..KEYS), as
 * addresses (stride 16) or IDs + 1 (stride 1) are, which Fibonacci hashing
 * spreads so evenly that they rarely collide; STRIDE 0 draws KEYS random
 * 64-bit keys instead, whose probe runs collide, wrap and shift, and then a
 * planted fault must be found and caught.
 */
#include "hash_map.h"
#include "random.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct entry {
    uint64_t key;
    uint64_t payload; /* key * 3 + 1, moved along with the key */
    uint32_t extra;   /* key ^ 0x5a5a5a5a, likewise */
} entry;

enum { ROUNDS = 200000 };

static int failures;

static void expect(int ok, const char *what, uint64_t step)
{
    if (!ok && failures++ < 10)
        printf("# FAIL at step %" PRIu64 ": %s\n", step, what);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    uint64_t keys = strtoull(argv[1], NULL, 10), stride = strtoull(argv[2], NULL, 10);
    uint64_t seed = strtoull(argv[3], NULL, 10);
    char *present = calloc(keys + 1, 1);
    uint64_t *key_of = calloc(keys + 1, sizeof *key_of);
    hl_hash_map m;
    if (present == NULL || key_of == NULL || !hl_hash_map_init(&m, sizeof(entry), 2))
        return 1;
    for (uint64_t k = 1; k <= keys; k++) {
        key_of[k] = stride ? k * stride : hl_random_next(&seed);
        key_of[k] += key_of[k] == 0; /* 0 marks an empty entry */
    }
    size_t live = 0, grew = 0;
    char why[200];
    for (uint64_t step = 0; step < ROUNDS && failures == 0; step++) {
        uint64_t k = 1 + hl_random_below(&seed, keys), key = key_of[k];
        entry *e = hl_hash_map_find(&m, key, sizeof(entry));
        expect((e != NULL) == present[k], "find disagrees with the reference", step);
        if (e != NULL)
            expect(e->payload == key * 3 + 1 && e->extra == (uint32_t)(key ^ 0x5a5a5a5a),
                   "an entry's fields did not move with its key", step);
        if (e != NULL && hl_random_below(&seed, 100) < 55) {
            hl_hash_map_remove(&m, e, sizeof(entry));
            present[k] = 0;
            live--;
        } else if (e == NULL) {
            size_t capacity = hl_hash_map_capacity(&m);
            if (!hl_hash_map_reserve(&m))
                return 1;
            grew += hl_hash_map_capacity(&m) != capacity;
            e = hl_hash_map_insert(&m, hl_hash_map_slot(&m, key, sizeof(entry)), key);
            e->payload = key * 3 + 1;
            e->extra = (uint32_t)(key ^ 0x5a5a5a5a);
            present[k] = 1;
            live++;
        }
        expect(m.count == live, "count differs from the reference", step);
        /* validate reads the whole table: every step while it is small */
        if ((hl_hash_map_capacity(&m) <= 4096 || step % 4096 == 0) &&
            !hl_hash_map_validate(&m, why, sizeof why))
            expect(0, why, step);
    }
    printf("# %s: %d rounds, %zu keys live at the end, %zu growths, capacity %zu\n",
           failures ? "FAIL" : "ok", ROUNDS, live, grew, hl_hash_map_capacity(&m));

    /* validate must see damage: an entry taken out of the run between a
       displaced key and its home (the key becomes unreachable), and a
       wrong count. */
    int caught = 0, tried = 0;
    for (size_t j = 0; j < hl_hash_map_capacity(&m) && !tried; j++) {
        entry *e = hl_hash_map_at(&m, j);
        size_t home = e->key ? hl_hash_map_home(&m, e->key) : j;
        if (home != j) {
            entry *at_home = hl_hash_map_at(&m, home);
            uint64_t saved = at_home->key;
            at_home->key = 0;
            m.count--;
            tried = 1;
            caught += !hl_hash_map_validate(&m, why, sizeof why);
            at_home->key = saved;
            m.count++;
        }
    }
    m.count++;
    caught += !hl_hash_map_validate(&m, why, sizeof why);
    m.count--;
    printf("# %s: validate caught %d of %d planted faults\n",
           caught == tried + 1 ? "ok" : "FAIL", caught, tried + 1);
    hl_hash_map_free(&m);
    free(present);
    free(key_of);
    return failures == 0 && caught == tried + 1 && (stride || tried) ? 0 : 1;
}
