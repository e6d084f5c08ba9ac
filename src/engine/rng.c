/*
 * Per-entity random streams. Each entity's seed is a pure function of the
 * scenario seed and the entity's name, never of creation order, so adding a
 * robot leaves every other entity's draws unchanged. The name hash is
 * written here because GSL offers no string hash; its value is part of the
 * trace's reproducibility, so the constants below must never change.
 */
#include "toposim/sim.h"

#include <gsl/gsl_rng.h>

/* FNV-1a, 64-bit (Fowler, Noll, Vo): simple, byte-order independent and
 * stable across platforms and compilers. */
static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return h;
}

/* One splitmix64 step (Steele, Lea, Flood 2014): the golden-ratio increment
 * then the mixing finaliser, so nearby seeds and similar names spread over
 * all 64 bits. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

uint64_t ts_rng_seed_for(uint64_t scenario_seed, const char *entity_name)
{
    uint64_t h = fnv1a64(entity_name ? entity_name : "");
    return splitmix64(splitmix64(scenario_seed) ^ h);
}

gsl_rng *ts_rng_new(uint64_t scenario_seed, const char *entity_name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    uint64_t s = ts_rng_seed_for(scenario_seed, entity_name);
    /* gsl_rng_set takes unsigned long, and GSL's mt19937 keeps only its low
     * 32 bits (seeds s and s + 2^32 give the same stream; 0 means 4357).
     * Fold both halves in so the whole 64-bit seed still matters. */
    gsl_rng_set(r, (unsigned long)((s ^ (s >> 32)) & 0xffffffffu));
    return r;
}
