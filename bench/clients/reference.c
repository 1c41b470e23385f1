/* reference: the mechanisms behind esync and fsync, for comparison with ntsync's ping-pong, and
 * what any userspace ntsync device pays per wait on top of its round trip.
 *
 *   reference --case eventfd_threads|futex_threads|eventfd_procs|futex_procs|resolve_fd|check_fd|read_objs
 *             [--iters N] [--warmup N]
 *
 * A ping-pong round trip: side A signals B and waits for B's answer; B waits, then signals A.
 * eventfd: two blocking eventfds, write(1) to signal, read() to wait (esync's mechanism).
 * futex: two words, set + FUTEX_WAKE to signal, FUTEX_WAIT while the word is 0 to wait (fsync's
 * mechanism, without its spinning). The process variants put the words in a shared mapping.
 * resolve_fd: statx of /proc/<pid>/fd/<n> of another process through a kept directory fd, as a
 * daemon resolves an fd the first times a wait names it. check_fd: kcmp(KCMP_EPOLL_TFD) of that
 * fd against an epoll of ours holding its file, as ntsyncd checks an fd it has a witness for
 * (src/sys/fd-witness.ts). read_objs: process_vm_readv of 32 bytes (an 8-fd `objs` array) from
 * another process. All three are timed in batches of 32 (one clock read pair per batch, so the
 * clock's own cost stays out) and reported per call.
 * One JSON line per case (bench-common.h).
 */
#include "bench-common.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/kcmp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *case_name = "?";
static long iters = 20000;
static long warmup = 1000;

static void fail(const char *what)
{
	emit_error(case_name, "%s: %s", what, strerror(errno));
	exit(1);
}

/* ---- eventfd ---- */
static int efd_a, efd_b;

static void efd_signal(int fd)
{
	uint64_t one = 1;
	if (write(fd, &one, sizeof one) != sizeof one)
		fail("eventfd write");
}

static void efd_wait(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof v) != sizeof v)
		if (errno != EINTR)
			fail("eventfd read");
}

/* ---- futex ---- */
static _Atomic uint32_t *fx; /* fx[0]: A -> B, fx[1]: B -> A */

static void fx_signal(_Atomic uint32_t *w)
{
	atomic_store(w, 1);
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void fx_wait(_Atomic uint32_t *w)
{
	while (atomic_exchange(w, 0) == 0)
		syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, 0, NULL, NULL, 0);
}

static int use_futex;

static void echo_side(long rounds)
{
	for (long i = 0; i < rounds; i++) {
		if (use_futex) {
			fx_wait(&fx[0]);
			fx_signal(&fx[1]);
		} else {
			efd_wait(efd_a);
			efd_signal(efd_b);
		}
	}
}

static void *echo_thread(void *arg)
{
	echo_side(*(long *)arg);
	return NULL;
}

static void pingpong(int procs)
{
	long rounds = iters + warmup;
	pthread_t th;
	pid_t child = -1;
	if (procs) {
		child = fork();
		if (child < 0)
			fail("fork");
		if (child == 0) {
			echo_side(rounds);
			_exit(0);
		}
	} else {
		pthread_create(&th, NULL, echo_thread, &rounds);
	}
	int64_t *v = xcalloc((size_t)iters, sizeof(int64_t));
	for (long i = -warmup; i < iters; i++) {
		uint64_t t0 = now_ns();
		if (use_futex) {
			fx_signal(&fx[0]);
			fx_wait(&fx[1]);
		} else {
			efd_signal(efd_a);
			efd_wait(efd_b);
		}
		uint64_t t1 = now_ns();
		if (i >= 0)
			v[i] = (int64_t)(t1 - t0);
	}
	if (procs)
		waitpid(child, NULL, 0);
	else
		pthread_join(th, NULL);
	struct stats st = stats_of(v, (size_t)iters);
	emit(case_name, &st, "\"per\":\"round trip (2 signals + 2 wakes)\"");
}

/* ---- what a wait costs a userspace daemon per fd and per array ---- */
static int32_t objs[8] = { 3, 4, 5, 6, 7, 8, 9, 10 };

enum { BATCH = 32 };

enum per_call { READ_OBJS, RESOLVE_FD, CHECK_FD };

/* An epoll of ours holding fd `fd` of process `pid`: what kcmp(KCMP_EPOLL_TFD) compares with. */
static int witness_of(pid_t pid, int fd, struct kcmp_epoll_slot *slot)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int file = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { 0 };
	if (file < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev) < 0)
		fail("pidfd_getfd/epoll_ctl (a witness needs root or ptrace access)");
	slot->efd = (__u32)ep;
	slot->tfd = (__u32)file;
	slot->toff = 0;
	close(file); /* epoll keeps no reference: the witness outlives our duplicate */
	close(pidfd);
	return ep;
}

static void per_call_costs(enum per_call what)
{
	int fds[2];
	if (pipe(fds) < 0)
		fail("pipe");
	pid_t child = fork();
	if (child < 0)
		fail("fork");
	if (child == 0) {
		/* Holds fds[0] and, at the same address as ours (fork), the objs array. */
		for (;;)
			pause();
	}
	close(fds[0]); /* only the child's copy is looked at (and a pipe is pollable: epoll takes it) */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)child);
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		fail("open /proc/<child>/fd");
	char name[16];
	snprintf(name, sizeof name, "%d", fds[0]);
	struct statx sx;
	struct kcmp_epoll_slot slot;
	if (what == CHECK_FD) {
		witness_of(child, fds[0], &slot);
		if (syscall(SYS_kcmp, child, getpid(), KCMP_EPOLL_TFD, fds[0], &slot) != 0)
			fail("kcmp(KCMP_EPOLL_TFD) does not find the file");
	}
	int32_t into[8];
	struct iovec local = { into, sizeof into }, remote = { objs, sizeof objs };
	long batches = (iters + BATCH - 1) / BATCH;
	int64_t *v = xcalloc((size_t)batches, sizeof(int64_t));
	for (long b = -(warmup / BATCH + 1); b < batches; b++) {
		uint64_t t0 = now_ns();
		for (int k = 0; k < BATCH; k++) {
			if (what == RESOLVE_FD) {
				if (statx(dir, name, AT_STATX_DONT_SYNC, STATX_INO, &sx) < 0)
					fail("statx");
			} else if (what == CHECK_FD) {
				if (syscall(SYS_kcmp, child, getpid(), KCMP_EPOLL_TFD, fds[0], &slot) != 0)
					fail("kcmp");
			} else if (process_vm_readv(child, &local, 1, &remote, 1, 0) != (ssize_t)sizeof into) {
				fail("process_vm_readv");
			}
		}
		uint64_t t1 = now_ns();
		if (b >= 0)
			v[b] = (int64_t)((t1 - t0) / BATCH);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	struct stats st = stats_of(v, (size_t)batches);
	emit(case_name, &st,
	     what == RESOLVE_FD ? "\"per\":\"fd resolved through /proc\""
	     : what == CHECK_FD ? "\"per\":\"fd checked against a witness\""
				: "\"per\":\"32-byte objs array read\"");
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--case")) case_name = argv[i + 1];
		else if (!strcmp(argv[i], "--iters")) iters = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--warmup")) warmup = strtol(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "reference: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (iters < 1 || warmup < 0) {
		fprintf(stderr, "reference: bad --iters/--warmup\n");
		return 2;
	}
	fx = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fx == MAP_FAILED)
		fail("mmap");
	efd_a = eventfd(0, EFD_CLOEXEC);
	efd_b = eventfd(0, EFD_CLOEXEC);
	if (efd_a < 0 || efd_b < 0)
		fail("eventfd");

	if (!strcmp(case_name, "eventfd_threads")) pingpong(0);
	else if (!strcmp(case_name, "eventfd_procs")) pingpong(1);
	else if (!strcmp(case_name, "futex_threads")) { use_futex = 1; pingpong(0); }
	else if (!strcmp(case_name, "futex_procs")) { use_futex = 1; pingpong(1); }
	else if (!strcmp(case_name, "resolve_fd")) per_call_costs(RESOLVE_FD);
	else if (!strcmp(case_name, "check_fd")) per_call_costs(CHECK_FD);
	else if (!strcmp(case_name, "read_objs")) per_call_costs(READ_OBJS);
	else {
		fprintf(stderr, "reference: unknown case %s\n", case_name);
		return 2;
	}
	return 0;
}
