/*
 * Client for bench/deadline-accuracy.ts and bench/daemon-loops.ts. Registers itself as the
 * supervisor (no launcher needed), opens the device and runs one measurement, printing one
 * number (ns) per line:
 *
 *   daemon-client deadlines N [realtime]  lateness of N timed waits with nothing to wake them
 *                                         (the ioctl's return minus its deadline)
 *   daemon-client roundtrip N             duration of each of N SEM_READ ioctls, then of N
 *                                         WAIT_ANY polls on one semaphore
 *   daemon-client floor N                 the machine's floor for `deadlines`, without ntsyncd:
 *                                         a second process sleeps on an absolute timerfd and
 *                                         answers through a pipe (the same two wake-ups)
 *
 * Environment: NTSYNC_DEVICE, NTSYNC_MOUNT (not for `floor`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ntsync_sem_args { __u32 count; __u32 max; };
struct ntsync_wait_args { __u64 timeout, objs; __u32 count, index, flags, owner, alert, pad; };
struct ntsyncd_create_args { __u32 type; __u32 args[2]; __u32 pad; __u64 id; };
#define NTSYNC_IOC_WAIT_ANY _IOWR('N', 0x82, struct ntsync_wait_args)
#define NTSYNC_IOC_SEM_READ _IOR('N', 0x8b, struct ntsync_sem_args)
#define NTSYNCD_IOC_REGISTER _IO(0xf3, 0x01)
#define NTSYNCD_IOC_CREATE _IOWR(0xf3, 0x02, struct ntsyncd_create_args)

static void die(const char *what)
{
	fprintf(stderr, "daemon-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static __u64 now(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int floor_relay(long n)
{
	int req[2], rep[2];
	if (pipe(req) < 0 || pipe(rep) < 0) die("pipe");
	pid_t pid = fork();
	if (pid < 0) die("fork");
	if (pid == 0) {
		close(req[1]);
		int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		__u64 deadline, expirations;
		while (read(req[0], &deadline, 8) == 8) {
			struct itimerspec its = { .it_value = { deadline / 1000000000, deadline % 1000000000 } };
			timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
			if (read(tfd, &expirations, 8) != 8) die("timerfd");
			if (write(rep[1], &deadline, 8) != 8) die("pipe");
		}
		_exit(0);
	}
	close(req[0]);
	srand(12345);
	for (long i = 0; i < n; i++) {
		__u64 deadline = now(CLOCK_MONOTONIC) + 500000 + (__u64)(rand() % 4500) * 1000, back;
		if (write(req[1], &deadline, 8) != 8 || read(rep[0], &back, 8) != 8) die("relay");
		printf("%lld\n", (long long)(now(CLOCK_MONOTONIC) - deadline));
	}
	close(req[1]);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: daemon-client deadlines|roundtrip N [realtime]\n");
		return 2;
	}
	long n = atol(argv[2]);
	if (!strcmp(argv[1], "floor")) return floor_relay(n);
	const char *dev_path = getenv("NTSYNC_DEVICE"), *mnt = getenv("NTSYNC_MOUNT");
	if (!dev_path || !mnt) {
		fprintf(stderr, "daemon-client: NTSYNC_DEVICE and NTSYNC_MOUNT must be set\n");
		return 2;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/control", mnt);
	int control = open(path, O_RDWR | O_CLOEXEC);
	if (control < 0 || ioctl(control, NTSYNCD_IOC_REGISTER) < 0) die("register");
	int dev = open(dev_path, O_RDONLY | O_CLOEXEC);
	if (dev < 0) die("open device");

	if (!strcmp(argv[1], "deadlines")) {
		int realtime = argc > 3 && !strcmp(argv[3], "realtime");
		clockid_t clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		srand(12345);
		for (long i = 0; i < n; i++) {
			/* 0.5 to 5 ms ahead, so the daemon is idle (blocked in its loop) when it fires */
			__u64 deadline = now(clock) + 500000 + (__u64)(rand() % 4500) * 1000;
			struct ntsync_wait_args a = { .timeout = deadline, .owner = 1, .flags = realtime };
			if (ioctl(dev, NTSYNC_IOC_WAIT_ANY, &a) == 0 || errno != ETIMEDOUT) die("timed wait");
			__u64 back = now(clock);
			printf("%lld\n", (long long)(back - deadline));
		}
		return 0;
	}
	if (!strcmp(argv[1], "roundtrip")) {
		struct ntsyncd_create_args c = { .type = 1, .args = { 1, 1 } };
		if (ioctl(dev, NTSYNCD_IOC_CREATE, &c) < 0) die("create");
		snprintf(path, sizeof(path), "%s/%llu", mnt, (unsigned long long)c.id);
		int sem = open(path, O_RDWR | O_CLOEXEC);
		if (sem < 0) die("open object");
		struct ntsync_sem_args s;
		for (long i = 0; i < n; i++) {
			__u64 t = now(CLOCK_MONOTONIC);
			if (ioctl(sem, NTSYNC_IOC_SEM_READ, &s) < 0) die("SEM_READ");
			printf("%llu\n", (unsigned long long)(now(CLOCK_MONOTONIC) - t));
		}
		/* the whole wait path (process_vm_readv of objs, statx of the fd): the first poll
		 * takes the unit, the others time out at once */
		struct ntsync_wait_args a = { .timeout = 0, .objs = (uintptr_t)&sem, .count = 1, .owner = 1 };
		for (long i = 0; i < n; i++) {
			__u64 t = now(CLOCK_MONOTONIC);
			int r = ioctl(dev, NTSYNC_IOC_WAIT_ANY, &a);
			__u64 d = now(CLOCK_MONOTONIC) - t;
			if (r < 0 && errno != ETIMEDOUT) die("WAIT_ANY");
			printf("%llu\n", (unsigned long long)d);
		}
		return 0;
	}
	fprintf(stderr, "daemon-client: unknown mode %s\n", argv[1]);
	return 2;
}
