/*
 * An ordinary ntsync client: the kernel's uapi and nothing else, no knowledge of ntsyncd or of
 * the launcher. Under `ntsync-run` against ntsyncd it must see exactly the kernel driver's
 * results (docs: ntsync-abi.md), for all 14 ioctls, including O_CLOEXEC object fds, fds passed
 * over SCM_RIGHTS, and objects outliving the device fd.
 *
 * `client --list` prints the test names; `client NAME` runs one and exits 0 when it passes.
 * The device path comes from NTSYNC_DEVICE (default /dev/ntsync). Builds 64- and 32-bit.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ntsync.h> /* from test/include: the build machine's headers may predate it */

#define FAIL(...) do { \
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	exit(1); \
} while (0)
#define CHECK(cond) do { if (!(cond)) FAIL("CHECK(%s) failed (errno %d: %s)", #cond, errno, strerror(errno)); } while (0)
#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) FAIL("%s == %lld, expected %lld (errno %d: %s)", #a, _a, _b, errno, strerror(errno)); \
} while (0)
#define CHECK_ERRNO(call, err) do { \
	errno = 0; \
	long _r = (long)(call); \
	if (_r != -1 || errno != (err)) FAIL("%s returned %ld errno %d (%s), expected errno %d (%s)", #call, _r, errno, strerror(errno), (err), strerror(err)); \
} while (0)

static int open_device(void)
{
	const char *path = getenv("NTSYNC_DEVICE");
	int fd = open(path ? path : "/dev/ntsync", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	return fd;
}

static int is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	CHECK(flags >= 0);
	return (flags & FD_CLOEXEC) != 0;
}

static int create_sem(int dev, __u32 count, __u32 max)
{
	struct ntsync_sem_args args = { count, max };
	return ioctl(dev, NTSYNC_IOC_CREATE_SEM, &args);
}

static int create_mutex(int dev, __u32 owner, __u32 count)
{
	struct ntsync_mutex_args args = { owner, count };
	return ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &args);
}

static int create_event(int dev, __u32 manual, __u32 signaled)
{
	struct ntsync_event_args args = { manual, signaled };
	return ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &args);
}

static void check_sem(int sem, __u32 count, __u32 max)
{
	struct ntsync_sem_args args = { 0xcccccccc, 0xcccccccc };
	CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_READ, &args), 0);
	CHECK_EQ(args.count, count);
	CHECK_EQ(args.max, max);
}

static void check_mutex(int mutex, __u32 owner, __u32 count)
{
	struct ntsync_mutex_args args = { 0xcccccccc, 0xcccccccc };
	CHECK_EQ(ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &args), 0);
	CHECK_EQ(args.owner, owner);
	CHECK_EQ(args.count, count);
}

static void check_event(int event, __u32 manual, __u32 signaled)
{
	struct ntsync_event_args args = { 0xcccccccc, 0xcccccccc };
	CHECK_EQ(ioctl(event, NTSYNC_IOC_EVENT_READ, &args), 0);
	CHECK_EQ(args.manual, manual);
	CHECK_EQ(args.signaled, signaled);
}

static __u64 monotonic_ns(__u64 from_now)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec + from_now;
}

/* WAIT_ANY/ALL; returns the ioctl result, *index gets the reported index. */
static int wait_objs(int dev, unsigned long cmd, const int *objs, __u32 count, __u32 owner, __u32 alert, __u64 timeout, __u32 *index)
{
	struct ntsync_wait_args args = { 0 };
	args.timeout = timeout;
	args.objs = (uintptr_t)objs;
	args.count = count;
	args.owner = owner;
	args.alert = alert;
	args.index = 0xcccccccc;
	int r = ioctl(dev, cmd, &args);
	if (index)
		*index = args.index;
	return r;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_create_returns_cloexec_fds(void)
{
	int dev = open_device();
	struct ntsync_sem_args sem_args = { 2, 5 };
	int sem = ioctl(dev, NTSYNC_IOC_CREATE_SEM, &sem_args);
	CHECK(sem > dev);
	CHECK_EQ(sem_args.count, 2); /* _IOW: never written back */
	CHECK_EQ(sem_args.max, 5);
	int mutex = create_mutex(dev, 0, 0);
	int event = create_event(dev, 0, 0);
	CHECK(mutex >= 0 && event >= 0);
	CHECK(sem != mutex && mutex != event && sem != event);
	CHECK(is_cloexec(sem) && is_cloexec(mutex) && is_cloexec(event));
	/* The lowest free number, as the kernel's fd allocation would give. */
	close(mutex);
	int again = create_sem(dev, 0, 0);
	CHECK_EQ(again, mutex);
	/* O_RDWR, as the kernel's anonymous files are. */
	CHECK_EQ(fcntl(sem, F_GETFL) & O_ACCMODE, O_RDWR);
	/* Not seekable, not readable. */
	char c;
	CHECK_ERRNO(lseek(sem, 0, SEEK_SET), ESPIPE);
	CHECK_ERRNO(read(sem, &c, 1), EINVAL);
}

static void test_cloexec_fds_do_not_survive_exec(void)
{
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	CHECK(sem >= 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char fdpath[64];
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", sem);
		/* test exits 0 only if the fd is gone in the exec'd program */
		execl("/bin/sh", "sh", "-c", "test ! -e \"$0\"", fdpath, (char *)NULL);
		_exit(127);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void test_create_argument_checks(void)
{
	int dev = open_device();
	CHECK_ERRNO(create_sem(dev, 3, 2), EINVAL);
	int s = create_sem(dev, 0, 0);
	CHECK(s >= 0);
	check_sem(s, 0, 0);
	s = create_sem(dev, 7, 7);
	CHECK(s >= 0);
	check_sem(s, 7, 7);
	CHECK_ERRNO(create_mutex(dev, 123, 0), EINVAL);
	CHECK_ERRNO(create_mutex(dev, 0, 1), EINVAL);
	int m = create_mutex(dev, 123, 0xffffffff);
	CHECK(m >= 0);
	check_mutex(m, 123, 0xffffffff);
	int e = create_event(dev, 5, 9);
	CHECK(e >= 0);
	check_event(e, 1, 1);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_CREATE_SEM, NULL), EFAULT);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_CREATE_EVENT, (void *)16), EFAULT);
}

static void test_sem_release_and_read(void)
{
	int dev = open_device();
	int sem = create_sem(dev, 0, 3);
	__u32 n = 2;
	CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), 0);
	CHECK_EQ(n, 0);
	check_sem(sem, 2, 3);
	n = 2;
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), EOVERFLOW);
	check_sem(sem, 2, 3);
	n = 0;
	CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), 0);
	CHECK_EQ(n, 2);
	n = 0xffffffff;
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), EOVERFLOW);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, NULL), EFAULT);
	int event = create_event(dev, 0, 0);
	n = 1;
	CHECK_ERRNO(ioctl(event, NTSYNC_IOC_SEM_RELEASE, &n), EINVAL);
	CHECK_ERRNO(ioctl(event, NTSYNC_IOC_SEM_RELEASE, NULL), EFAULT); /* copy-in before the type check */
}

static void test_mutex_unlock_kill_and_ownerdead(void)
{
	int dev = open_device();
	int mutex = create_mutex(dev, 123, 2);
	struct ntsync_mutex_args args = { 0, 0 };
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args), EINVAL);
	args.owner = 456;
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args), EPERM);
	args.owner = 123;
	args.count = 0xcccccccc;
	CHECK_EQ(ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args), 0);
	CHECK_EQ(args.count, 2);
	check_mutex(mutex, 123, 1);

	__u32 owner = 456;
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), EPERM);
	owner = 0;
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), EINVAL);
	owner = 123;
	CHECK_EQ(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), 0);
	struct ntsync_mutex_args read_args = { 0xcccccccc, 0xcccccccc };
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &read_args), EOWNERDEAD);
	CHECK_EQ(read_args.owner, 0);
	CHECK_EQ(read_args.count, 0);

	__u32 index;
	int objs[1] = { mutex };
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 1, 789, 0, 0, &index), EOWNERDEAD);
	CHECK_EQ(index, 0);
	check_mutex(mutex, 789, 1);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 1, 789, 0, 0, &index), 0);
	check_mutex(mutex, 789, 2);

	int sem = create_sem(dev, 0, 1);
	args.owner = 1;
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_MUTEX_UNLOCK, &args), EINVAL);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_MUTEX_READ, &read_args), EINVAL);
}

static void test_events_set_reset_pulse(void)
{
	int dev = open_device();
	int manual = create_event(dev, 1, 0);
	int autoev = create_event(dev, 0, 1);
	__u32 prev = 0xcccccccc;
	CHECK_EQ(ioctl(manual, NTSYNC_IOC_EVENT_SET, &prev), 0);
	CHECK_EQ(prev, 0);
	CHECK_EQ(ioctl(manual, NTSYNC_IOC_EVENT_SET, &prev), 0);
	CHECK_EQ(prev, 1);
	check_event(manual, 1, 1);
	CHECK_EQ(ioctl(manual, NTSYNC_IOC_EVENT_RESET, &prev), 0);
	CHECK_EQ(prev, 1);
	check_event(manual, 1, 0);
	CHECK_EQ(ioctl(autoev, NTSYNC_IOC_EVENT_PULSE, &prev), 0);
	CHECK_EQ(prev, 1);
	check_event(autoev, 0, 0);

	int objs[2] = { manual, autoev };
	__u32 index;
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 2, 1, 0, 0, &index), ETIMEDOUT);
	CHECK_EQ(index, 0xcccccccc); /* untouched on timeout */
	CHECK_EQ(ioctl(autoev, NTSYNC_IOC_EVENT_SET, &prev), 0);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 2, 1, 0, 0, &index), 0);
	CHECK_EQ(index, 1);
	check_event(autoev, 0, 0); /* an auto event is consumed by the wait */

	int sem = create_sem(dev, 1, 1);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_EVENT_SET, &prev), EINVAL);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_EVENT_READ, &prev), EINVAL);
}

struct releaser {
	int sem;
	int delay_ms;
};

static void *release_later(void *arg)
{
	struct releaser *r = arg;
	usleep(r->delay_ms * 1000);
	__u32 n = 1;
	CHECK_EQ(ioctl(r->sem, NTSYNC_IOC_SEM_RELEASE, &n), 0);
	return NULL;
}

static void test_waits(void)
{
	int dev = open_device();
	int sem = create_sem(dev, 0, 2);
	int event = create_event(dev, 1, 1);
	int mutex = create_mutex(dev, 0, 0);
	__u32 index;

	/* WAIT_ALL takes everything at once. */
	int all[2] = { event, mutex };
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, all, 2, 55, 0, 0, &index), 0);
	CHECK_EQ(index, 0);
	check_mutex(mutex, 55, 1);
	int dup_all[2] = { event, event };
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, dup_all, 2, 55, 0, 0, &index), EINVAL);

	/* The alert is entry `count`. */
	int any[1] = { sem };
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, any, 1, 55, event, 0, &index), 0);
	CHECK_EQ(index, 1);

	/* A blocking wait, woken by another thread's release; the acquisition is done by then. */
	pthread_t thread;
	struct releaser r = { sem, 50 };
	pthread_create(&thread, NULL, release_later, &r);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, any, 1, 55, 0, monotonic_ns(10ull * 1000000000ull), &index), 0);
	CHECK_EQ(index, 0);
	pthread_join(thread, NULL);
	check_sem(sem, 0, 2);

	/* A deadline passes. */
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, any, 1, 55, 0, monotonic_ns(20 * 1000000), &index), ETIMEDOUT);

	/* Argument checks. */
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, any, 1, 0, 0, 0, &index), EINVAL); /* owner 0 */
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, any, 65, 55, 0, 0, &index), EINVAL);
	int bad[1] = { 1000 };
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, bad, 1, 55, 0, 0, &index), EINVAL);
	int device_itself[1] = { dev };
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, device_itself, 1, 55, 0, 0, &index), EINVAL);
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, (int *)8, 1, 55, 0, 0, &index), EFAULT);

	/* Objects of another device instance do not count. */
	int other_dev = open_device();
	int foreign = create_event(other_dev, 1, 1);
	int foreign_objs[1] = { foreign };
	CHECK_ERRNO(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, foreign_objs, 1, 55, 0, 0, &index), EINVAL);
	CHECK_EQ(wait_objs(other_dev, NTSYNC_IOC_WAIT_ANY, foreign_objs, 1, 55, 0, 0, &index), 0);
}

static void test_wrong_file_gives_enotty(void)
{
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	__u32 n = 1;
	struct ntsync_sem_args args = { 0, 0 };
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_SEM_RELEASE, &n), ENOTTY);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_SEM_READ, &args), ENOTTY);
	/* A CREATE on an object fd: trapped by the launcher, refused as the kernel would. */
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_CREATE_SEM, &args), ENOTTY);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_WAIT_ANY, &args), ENOTTY);
	CHECK_ERRNO(ioctl(dev, _IOW('N', 0x8e, __u32), &n), ENOTTY);
	CHECK_ERRNO(ioctl(sem, _IO('N', 0x7f)), ENOTTY);
}

static void test_objects_outlive_the_device_fd(void)
{
	int dev = open_device();
	int sem = create_sem(dev, 0, 5);
	int event = create_event(dev, 1, 0);
	int waiter_dev = dup(dev);
	close(dev);
	__u32 n = 3;
	CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), 0);
	check_sem(sem, 3, 5);
	CHECK_EQ(ioctl(event, NTSYNC_IOC_EVENT_SET, &n), 0);
	int objs[2] = { event, sem };
	__u32 index;
	CHECK_EQ(wait_objs(waiter_dev, NTSYNC_IOC_WAIT_ALL, objs, 2, 9, 0, 0, &index), 0);
	check_sem(sem, 2, 5);
	close(waiter_dev);
	/* No device fd at all any more: the objects still work. */
	n = 1;
	CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), 0);
	CHECK_EQ(n, 2);
	check_sem(sem, 3, 5);
}

static void send_fds(int sock, const int *fds, int count)
{
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	char control[CMSG_SPACE(sizeof(int) * 8)];
	memset(control, 0, sizeof(control));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = CMSG_SPACE(sizeof(int) * count) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * count);
	CHECK_EQ(sendmsg(sock, &msg, 0), 1);
}

static void recv_fds(int sock, int *fds, int count)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	char control[CMSG_SPACE(sizeof(int) * 8)];
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	CHECK_EQ(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), 1);
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	CHECK(cmsg && cmsg->cmsg_type == SCM_RIGHTS);
	CHECK_EQ(cmsg->cmsg_len, CMSG_LEN(sizeof(int) * count));
	memcpy(fds, CMSG_DATA(cmsg), sizeof(int) * count);
}

/*
 * Wine's pattern in miniature: a server creates objects and passes the device and object fds
 * over SCM_RIGHTS to a client process that did not inherit them; the client waits on the
 * server's device, releases, and creates an object of its own on the received device, which
 * it sends back: both processes work on one device instance.
 */
static void test_fds_passed_over_scm_rights(void)
{
	int socks[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socks), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(socks[0]);
		int fds[3];
		recv_fds(socks[1], fds, 3); /* device, semaphore, event */
		int objs[1] = { fds[1] };
		__u32 index;
		CHECK_EQ(wait_objs(fds[0], NTSYNC_IOC_WAIT_ANY, objs, 1, 77, 0, monotonic_ns(10ull * 1000000000ull), &index), 0);
		__u32 prev;
		CHECK_EQ(ioctl(fds[2], NTSYNC_IOC_EVENT_SET, &prev), 0);
		CHECK_EQ(prev, 0);
		int mine = create_mutex(fds[0], 77, 1);
		CHECK(mine >= 0 && is_cloexec(mine));
		send_fds(socks[1], &mine, 1);
		_exit(0);
	}
	close(socks[1]);
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	int event = create_event(dev, 1, 0);
	int fds[3] = { dev, sem, event };
	send_fds(socks[0], fds, 3);
	int theirs;
	recv_fds(socks[0], &theirs, 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_sem(sem, 0, 1); /* the client's wait took it */
	check_event(event, 1, 1);
	check_mutex(theirs, 77, 1); /* the client's object, alive after the client exited */
	int objs[2] = { event, theirs };
	__u32 index;
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, objs, 2, 77, 0, 0, &index), 0);
	check_mutex(theirs, 77, 2);
}

static void test_fork_inherits_objects(void)
{
	int dev = open_device();
	int sem = create_sem(dev, 0, 10);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		__u32 n = 4;
		CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n), 0);
		int own = create_event(dev, 0, 0);
		CHECK(own >= 0);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_sem(sem, 4, 10);
}

struct creator {
	int dev;
	int errors;
	pthread_t thread;
};

static void *create_and_wait(void *arg)
{
	struct creator *c = arg;
	for (int i = 0; i < 100; i++) {
		int sem = create_sem(c->dev, 1, 1);
		int event = create_event(c->dev, 0, 1);
		if (sem < 0 || event < 0) {
			c->errors++;
			continue;
		}
		int objs[2] = { sem, event };
		__u32 index;
		if (wait_objs(c->dev, NTSYNC_IOC_WAIT_ALL, objs, 2, (__u32)syscall(SYS_gettid), 0, 0, &index) != 0)
			c->errors++;
		close(sem);
		close(event);
	}
	return NULL;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_threads_create_concurrently(void)
{
	int dev = open_device();
	int before = count_fds();
	struct creator creators[6];
	for (int i = 0; i < 6; i++) {
		creators[i] = (struct creator){ .dev = dev };
		pthread_create(&creators[i].thread, NULL, create_and_wait, &creators[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(creators[i].thread, NULL);
		CHECK_EQ(creators[i].errors, 0);
	}
	CHECK_EQ(count_fds(), before);
}

static const struct {
	const char *name;
	void (*run)(void);
} tests[] = {
	{ "create_returns_cloexec_fds", test_create_returns_cloexec_fds },
	{ "cloexec_fds_do_not_survive_exec", test_cloexec_fds_do_not_survive_exec },
	{ "create_argument_checks", test_create_argument_checks },
	{ "sem_release_and_read", test_sem_release_and_read },
	{ "mutex_unlock_kill_and_ownerdead", test_mutex_unlock_kill_and_ownerdead },
	{ "events_set_reset_pulse", test_events_set_reset_pulse },
	{ "waits", test_waits },
	{ "wrong_file_gives_enotty", test_wrong_file_gives_enotty },
	{ "objects_outlive_the_device_fd", test_objects_outlive_the_device_fd },
	{ "fds_passed_over_scm_rights", test_fds_passed_over_scm_rights },
	{ "fork_inherits_objects", test_fork_inherits_objects },
	{ "threads_create_concurrently", test_threads_create_concurrently },
};

int main(int argc, char **argv)
{
	alarm(60); /* a hang is a failure, never a stuck test run */
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			puts(tests[i].name);
		return 0;
	}
	for (size_t i = 0; argc == 2 && i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!strcmp(argv[1], tests[i].name)) {
			tests[i].run();
			return 0;
		}
	}
	fprintf(stderr, "usage: %s --list | TEST\n", argv[0]);
	return 2;
}
