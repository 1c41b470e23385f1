/*
 * A deterministic PRNG (splitmix64): the same seed gives the same operation sequence on every
 * machine and every libc, which rand() does not promise.
 */
#ifndef FUZZ_PRNG_H
#define FUZZ_PRNG_H

#include <stdint.h>

struct prng { uint64_t state; };

static inline void prng_seed(struct prng *r, uint64_t seed)
{
	/* Mixed so that neighbouring seeds do not start from neighbouring states. */
	r->state = seed * 0x9E3779B97F4A7C15ull ^ 0xD1B54A32D192ED03ull;
}

static inline uint64_t prng_next(struct prng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. The bias of the modulo is irrelevant for fuzzing. */
static inline uint32_t prng_below(struct prng *r, uint32_t n)
{
	return (uint32_t)(prng_next(r) % n);
}

/* True with probability pct/100. */
static inline int prng_chance(struct prng *r, uint32_t pct)
{
	return prng_below(r, 100) < pct;
}

/* One of the n values of a table. */
#define PRNG_PICK(r, table) ((table)[prng_below((r), sizeof(table) / sizeof((table)[0]))])

#endif
