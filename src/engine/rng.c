/*
 * Per-entity random streams. Each entity's seed is a pure function of the
 * scenario seed and the entity's name, never of creation order, so adding a
 * robot leaves every other entity's draws unchanged. The name hash is
 * written here because GSL offers no string hash; its value is part of the
 * trace's reproducibility, so the constants below must never change.
 *
 * The generator is GSL's taus2, L'Ecuyer's maximally equidistributed
 * combined Tausworthe generator: period 2^88, "3 words of state per
 * generator" (GSL manual, "Random number generator algorithms",
 * https://www.gnu.org/software/gsl/doc/html/rng.html), i.e. 24 bytes
 * against MT19937's 5 KB, and among GSL's fastest simulation-quality
 * generators. A fleet has tens of thousands of streams, so the state size
 * is what matters here.
 */
#include "toposim/sim.h"

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "toposim/alloc.h"

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

/* GSL's taus2 state (gsl/rng/taus.c: three unsigned longs holding 32-bit
 * components). gsl_rng_set would take only the low 32 bits of a seed
 * through an LCG, so two of 30,000 entities would share a whole stream
 * with probability about 10 %; writing the three components from the
 * 64-bit seed keeps distinct seeds distinct. */
typedef struct taus2_state {
    unsigned long s1, s2, s3;
} taus2_state;

/* Seeds a taus2 stream (its state already made) for the entity. */
static void seed_stream(gsl_rng *r, uint64_t scenario_seed, const char *entity_name)
{
    uint64_t s = ts_rng_seed_for(scenario_seed, entity_name);
    if (gsl_rng_size(r) != sizeof(taus2_state)) {
        /* Not the layout written above: fall back to GSL's own seeding,
         * folding both halves so the whole seed still matters. */
        gsl_rng_set(r, (unsigned long)((s ^ (s >> 32)) & 0xffffffffu));
        return;
    }
    taus2_state *st = gsl_rng_state(r);
    st->s1 = (unsigned long)(s & 0xffffffffu);
    st->s2 = (unsigned long)(s >> 32);
    st->s3 = (unsigned long)(splitmix64(s) & 0xffffffffu);
    /* Each component's top k bits must not all be zero (L'Ecuyer 1999,
     * as GSL's taus2_set enforces): s1 > 1, s2 > 7, s3 > 15. */
    if (st->s1 < 2)
        st->s1 += 2;
    if (st->s2 < 8)
        st->s2 += 8;
    if (st->s3 < 16)
        st->s3 += 16;
    /* Warm up as taus2_set does, so the first outputs mix all components. */
    for (int i = 0; i < 6; i++)
        (void)gsl_rng_get(r);
}

gsl_rng *ts_rng_new(uint64_t scenario_seed, const char *entity_name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r)
        return NULL;
    seed_stream(r, scenario_seed, entity_name);
    return r;
}

/* A state's bytes, rounded up to 8 so every state in a block is aligned
 * for the unsigned longs (and doubles) GSL's generator states hold. */
static size_t state_stride(void)
{
    return (gsl_rng_taus2->size + 7) & ~(size_t)7;
}

/* A block is n gsl_rng handles followed by their n states: one allocation
 * where gsl_rng_alloc makes two per stream (a 16-byte handle and a
 * 24-byte state, each with the allocator's own overhead). gsl_rng's two
 * fields, the generator type and its state, are public in gsl_rng.h, and
 * gsl_rng_get and the rest reach the state only through them. */
gsl_rng *ts_rng_block_new(uint64_t scenario_seed, size_t n,
                          const char *(*name_of)(void *ctx, size_t i), void *ctx)
{
    size_t stride = state_stride();
    size_t each = sizeof(gsl_rng) + stride;
    if (n > SIZE_MAX / each - 1)
        return NULL;
    gsl_rng *block = ts_malloc((n ? n : 1) * each);
    if (!block)
        return NULL;
    unsigned char *states = (unsigned char *)(block + n);
    for (size_t i = 0; i < n; i++) {
        block[i].type = gsl_rng_taus2;
        block[i].state = states + i * stride;
        seed_stream(&block[i], scenario_seed, name_of(ctx, i));
    }
    return block;
}

void ts_rng_block_free(gsl_rng *block) { ts_free(block); }
