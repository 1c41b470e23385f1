/* Shared by the benchmark clients: the clock, sample statistics and the JSON result line. */
#ifndef NTSYNC_BENCH_COMMON_H
#define NTSYNC_BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: ~20-30 ns, small next to a round trip */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

struct stats {
	size_t n;
	int64_t min, median, p90, p99, max;
	double mean;
};

/* Sorts `v` in place. */
static inline struct stats stats_of(int64_t *v, size_t n)
{
	struct stats s;
	memset(&s, 0, sizeof s);
	s.n = n;
	if (!n)
		return s;
	qsort(v, n, sizeof *v, cmp_i64);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	s.min = v[0];
	s.max = v[n - 1];
	s.median = v[n / 2];
	s.p90 = v[(n * 90) / 100];
	s.p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	s.mean = sum / (double)n;
	return s;
}

/* One JSON object per line on stdout: {"case":..., <stats>, <extra>}. `extra` is a printf
 * format producing further `"key":value` pairs (or NULL). */
static inline void emit(const char *name, const struct stats *s, const char *extra, ...)
{
	printf("{\"case\":\"%s\"", name);
	if (s)
		printf(",\"n\":%zu,\"min_ns\":%lld,\"median_ns\":%lld,\"p90_ns\":%lld,\"p99_ns\":%lld,\"max_ns\":%lld,\"mean_ns\":%.1f",
		       s->n, (long long)s->min, (long long)s->median, (long long)s->p90, (long long)s->p99,
		       (long long)s->max, s->mean);
	if (extra) {
		va_list ap;
		va_start(ap, extra);
		putchar(',');
		vprintf(extra, ap);
		va_end(ap);
	}
	printf("}\n");
	fflush(stdout);
}

static inline void emit_error(const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '\'';
	printf("{\"case\":\"%s\",\"error\":\"%s\"}\n", name, msg);
	fflush(stdout);
}

#endif
