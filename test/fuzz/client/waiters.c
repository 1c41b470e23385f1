/*
 * Blocking waiters, made deterministic.
 *
 * Queue order: a waiter is started only once the previous one is parked, i.e. asleep inside
 * its WAIT ioctl: /proc/self/task/<tid>/syscall names the ioctl (fd and command) of a task
 * that is off the CPU, and /proc/.../stat says 'S'. On the kernel driver that is the sleep
 * after the wait has been queued. Where the driver is a server behind the file (a FUSE/CUSE
 * daemon) the sleep starts when the request is sent; barrier() then issues a poll on a device
 * instance of our own and waits for its answer, which a server answering in order gives only
 * after it has taken the earlier request. The barrier costs the kernel one no-op ioctl.
 *
 * Results: after every operation the main thread settles the waiters: barrier, then each
 * waiter is either parked (still waiting) or runs to its end. The driver grants a waiter
 * inside the signalling call, before that call returns, so which waiters ended after which
 * operation is itself part of the trace.
 *
 * No waiter relies on a timer: its deadline is infinite or far in the future, and those still
 * waiting at the end of a sequence get a signal (EINTR). (Expiring deadlines are tested from
 * the main thread, see op_timed_wait.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096
#define PARK_TIMEOUT_NS (30ull * 1000000000ull)

static __thread struct waiter *self;

static void on_signal(int sig)
{
	(void)sig;
	if (self) __atomic_add_fetch(&self->signals, 1, __ATOMIC_SEQ_CST);
}

void waiters_install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* SIGUSR1: the wait fails with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART; /* SIGUSR2: the wait starts again */
	sigaction(SIGUSR2, &sa, NULL);
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	self = w;
	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	errno = 0;
	long ret = ioctl(w->devfd, w->cmd, w->argp);
	w->err = ret == -1 ? errno : 0;
	w->ret = ret;
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_briefly(int round)
{
	/* Yield first (cheap when the waiter has a CPU), then sleep so that one vCPU is enough. */
	if (round < 20) {
		sched_yield();
	} else {
		struct timespec ts = { 0, round < 200 ? 20000 : 200000 };
		nanosleep(&ts, NULL);
	}
}

static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f) return -1;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return (int)n;
}

/* Whether the waiter is asleep ('S') inside its WAIT ioctl. */
static int parked_in_ioctl(const struct waiter *w)
{
	char path[64], buf[512];
	long nr;
	unsigned long a0, a1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", w->tid);
	if (read_small(path, buf, sizeof(buf)) <= 0) return 0;
	/* "running" while on a CPU; else "<nr> <arg0> <arg1> ..." */
	if (sscanf(buf, "%ld 0x%lx 0x%lx", &nr, &a0, &a1) != 3) return 0;
	if (nr != SYS_ioctl || (int)a0 != w->devfd || a1 != w->cmd) return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", w->tid);
	if (read_small(path, buf, sizeof(buf)) <= 0) return 0;
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

enum park { PARKED, ENDED };

/* Waits until the waiter is either asleep in its ioctl or has returned from it. */
static enum park park(const struct runtime *rt, struct waiter *w)
{
	uint64_t start = mono_ns();
	for (int round = 0;; round++) {
		if (__atomic_load_n(&w->done, __ATOMIC_SEQ_CST)) return ENDED;
		if (parked_in_ioctl(w)) {
			/* Ended between the two reads? Then it was not parked for good. */
			if (__atomic_load_n(&w->done, __ATOMIC_SEQ_CST)) return ENDED;
			return PARKED;
		}
		if (mono_ns() - start > PARK_TIMEOUT_NS) fatal(rt, "w%ld neither asleep in its wait nor finished after 30 s", (long)(w - rt->w));
		pause_briefly(round);
	}
}

/* Returns once the device has answered every request issued before it (see the top). */
static void barrier(const struct runtime *rt)
{
	struct ntsync_wait_args args;
	memset(&args, 0, sizeof(args));
	args.owner = 1; /* count 0, deadline 0: a poll that can only time out */
	errno = 0;
	if (ioctl(rt->barrier_fd, NTSYNC_IOC_WAIT_ANY, &args) != -1 || errno != ETIMEDOUT)
		fatal(rt, "barrier poll did not time out (errno %d)", errno);
}

int waiters_any(const struct runtime *rt)
{
	for (int i = 0; i < MAX_WAITERS; i++)
		if (rt->w[i].used) return 1;
	return 0;
}

static void print_waiter_result(const struct runtime *rt, struct waiter *w, const char *prefix)
{
	printf("%s w%ld", prefix, (long)(w - rt->w));
	print_result(w->ret, w->err);
	if (w->argp) print_wait_out(w->argp, &w->sent);
	printf("\n");
	w->reported = 1;
}

void waiters_settle(struct runtime *rt)
{
	int waiting[MAX_WAITERS], n = 0;
	char prefix[24];
	snprintf(prefix, sizeof(prefix), "#%d", rt->opno);
	barrier(rt);
	for (int i = 0; i < MAX_WAITERS; i++) {
		struct waiter *w = &rt->w[i];
		if (!w->used || w->reported) continue;
		if (park(rt, w) == ENDED) print_waiter_result(rt, w, prefix);
		else waiting[n++] = i;
	}
	if (n == 0) return;
	printf("#%d waiting [", rt->opno);
	for (int i = 0; i < n; i++) printf("%sw%d", i ? "," : "", waiting[i]);
	printf("]\n");
}

void waiter_spawn(struct runtime *rt, const struct op *op)
{
	struct waiter *w = &rt->w[op->waiter];
	char b[16];
	printf("spawn w%u %s %s", op->waiter, op->all ? "wait_all" : "wait_any", ref_name(op->target, b));
	print_wait_spec(&op->wait);
	printf(" arg=%s", op->arg == ARG_NULL ? "NULL" : op->arg == ARG_RO ? "ro" : "ok");
	if (w->used) fatal(rt, "waiter w%u spawned twice", op->waiter);

	memset(w, 0, sizeof(*w));
	w->used = 1;
	w->devfd = resolve(rt, op->target);
	w->cmd = op->all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY;
	build_wait(rt, &op->wait, &w->args, w->objs);
	w->sent = w->args;
	if (op->arg == ARG_OK) {
		w->argp = &w->args;
	} else if (op->arg == ARG_RO) {
		w->ro_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->ro_page == MAP_FAILED) fatal(rt, "mmap: %s", strerror(errno));
		memcpy(w->ro_page, &w->args, sizeof(w->args));
		mprotect(w->ro_page, PAGE, PROT_READ);
		w->argp = w->ro_page;
	}

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int e = pthread_create(&w->thread, &attr, waiter_main, w);
	pthread_attr_destroy(&attr);
	if (e) fatal(rt, "pthread_create: %s", strerror(e));
	uint64_t start = mono_ns();
	for (int round = 0; !__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST); round++) {
		if (mono_ns() - start > PARK_TIMEOUT_NS) fatal(rt, "w%u did not start", op->waiter);
		pause_briefly(round);
	}
	park(rt, w); /* the settle that follows this op makes it final */
}

static int waiting_now(const struct waiter *w)
{
	return w->used && !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

void waiter_signal(struct runtime *rt, const struct op *op)
{
	struct waiter *w = &rt->w[op->waiter];
	int restart = op->kind == OP_RESTART;
	printf("%s w%u", restart ? "restart" : "interrupt", op->waiter);
	if (!waiting_now(w)) {
		printf(" -> not waiting");
		return;
	}
	int before = __atomic_load_n(&w->signals, __ATOMIC_SEQ_CST);
	int e = pthread_kill(w->thread, restart ? SIGUSR2 : SIGUSR1);
	if (e) fatal(rt, "pthread_kill: %s", strerror(e));
	uint64_t start = mono_ns();
	/* The handler runs once the ioctl has given up; a restarted ioctl is then parked again. */
	for (int round = 0; __atomic_load_n(&w->signals, __ATOMIC_SEQ_CST) == before; round++) {
		if (mono_ns() - start > PARK_TIMEOUT_NS) fatal(rt, "w%u never ran its signal handler", op->waiter);
		pause_briefly(round);
	}
	park(rt, w);
	printf(" -> signalled");
}

void waiters_finish(struct runtime *rt)
{
	for (int i = 0; i < MAX_WAITERS; i++) {
		struct waiter *w = &rt->w[i];
		if (!w->used) continue;
		if (!w->reported && !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST)) {
			pthread_kill(w->thread, SIGUSR1);
			uint64_t start = mono_ns();
			for (int round = 0; !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST); round++) {
				if (mono_ns() - start > PARK_TIMEOUT_NS) fatal(rt, "w%d ignored its interrupt", i);
				pause_briefly(round);
			}
		}
		if (!w->reported) print_waiter_result(rt, w, "#end");
		pthread_join(w->thread, NULL);
		if (w->ro_page) munmap(w->ro_page, PAGE);
		w->used = 0;
	}
}
