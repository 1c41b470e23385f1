/*
 * ntsync differential fuzz client: runs seeded random operation sequences against an ntsync
 * device and prints a normalised trace, so that two devices (the kernel driver, ntsyncd under
 * ntsync-run) can be compared line by line. It knows the uapi and nothing else.
 *
 *   fuzz-client --device PATH [--seed S] [--count N] [--ops N] [--only-ops LIST] [--skip-known NAMES]
 *
 * Runs sequences SEED .. SEED+N-1 of N operations each (default 48). LIST selects operations
 * by number ("0-5,9,12"): the shrinker replays a subset of one sequence that way.
 * --skip-known leaves out the operations that would hit the named known divergences (see
 * client.h and test/fuzz/driver/known-divergences.ts); nothing else in the sequences changes.
 *
 * Output: "seq SEED ops=N only=LIST|all", one or more lines per operation each starting with
 * "#<op number>", the final reads ("#final"), "end SEED"; after the last sequence "done N".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client.h"

static void usage(void)
{
	fprintf(stderr, "usage: fuzz-client --device PATH [--seed S] [--count N] [--ops N] [--only-ops LIST] [--skip-known NAMES]\n");
	exit(2);
}

/* "0-5,9" -> mask; returns 0 on a syntax error. */
static int parse_mask(const char *s, uint8_t *mask)
{
	memset(mask, 0, MAX_OPS);
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < 0 || a >= MAX_OPS) return 0;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= MAX_OPS) return 0;
			s = end;
		}
		for (long i = a; i <= b; i++) mask[i] = 1;
		if (*s == ',') s++;
		else if (*s) return 0;
	}
	return 1;
}

/* "fionread,wrongfd-efault" -> bits of enum known */
static unsigned parse_known(const char *list)
{
	unsigned bits = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int k;
		for (k = 1; k < KNOWN_COUNT && strcmp(name, KNOWN_NAMES[k]); k++) {}
		if (k == KNOWN_COUNT) {
			fprintf(stderr, "fuzz-client: unknown known divergence %s\n", name);
			exit(2);
		}
		bits |= 1u << k;
	}
	return bits;
}

static int pick_closed_fd(void)
{
	/* High enough that nothing we open gets it, below any RLIMIT_NOFILE. */
	for (int fd = 999; fd > 100; fd--)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) return fd;
	fprintf(stderr, "fuzz-client: no free fd number below 1000\n");
	exit(2);
}

static void setup(struct runtime *rt, const char *device)
{
	memset(rt, 0, sizeof(*rt));
	rt->device = device;
	rt->barrier_fd = open(device, O_RDONLY | O_CLOEXEC);
	if (rt->barrier_fd < 0) {
		fprintf(stderr, "fuzz-client: cannot open %s: %s\n", device, strerror(errno));
		exit(2);
	}
	rt->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (rt->null_fd < 0) {
		fprintf(stderr, "fuzz-client: cannot open /dev/null: %s\n", strerror(errno));
		exit(2);
	}
	rt->closed_fd = pick_closed_fd();
	rt->buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rt->ro_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rt->buf == MAP_FAILED || rt->ro_page == MAP_FAILED) {
		perror("fuzz-client: mmap");
		exit(2);
	}
	waiters_install_signal_handlers();
	signal(SIGPIPE, SIG_IGN);
}

static struct sequence seq;

static void run_one(struct runtime *rt, uint64_t seed, int nops, const char *only)
{
	static uint8_t mask[MAX_OPS];
	if (only && !parse_mask(only, mask)) {
		fprintf(stderr, "fuzz-client: bad op list %s\n", only);
		exit(2);
	}
	generate(&seq, seed, nops);
	printf("seq %llu ops=%d only=%s\n", (unsigned long long)seed, seq.nops, only ? only : "all");
	run_sequence(rt, &seq, only ? mask : NULL);
	printf("end %llu\n", (unsigned long long)seed);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *device = NULL, *only = NULL;
	uint64_t seed = 1, count = 1;
	unsigned skip_known = 0;
	int nops = 48;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) usage();
		if (!strcmp(a, "--device")) device = v;
		else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--count")) count = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--ops")) nops = atoi(v);
		else if (!strcmp(a, "--only-ops")) only = v;
		else if (!strcmp(a, "--skip-known")) skip_known = parse_known(v);
		else usage();
		i++;
	}
	if (nops < 1 || nops > MAX_OPS || !device) usage();
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	struct runtime rt;
	setup(&rt, device);
	rt.skip_known = skip_known;
	uint64_t n = 0;
	for (; n < count; n++) run_one(&rt, seed + n, nops, only);
	printf("done %llu\n", (unsigned long long)n);
	fflush(stdout);
	return 0;
}
