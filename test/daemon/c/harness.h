/*
 * Test harness for the ntsyncd C clients: the ntsync uapi (declared here, since the build
 * machine's headers may predate it), ntsyncd's control ioctls, and a tiny test registry.
 *
 * Each client binary holds several tests; `client --list` prints their names and
 * `client NAME` runs one and exits 0 when it passes. The daemon's paths come from the
 * environment: NTSYNC_DEVICE and NTSYNC_MOUNT.
 *
 * The launcher (ntsync-run) does not take part: each test registers its own process as a
 * supervisor through <mount>/control, creates objects with NTSYNCD_IOC_CREATE and opens the
 * object files itself, which is exactly what the launcher does before injecting the fd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- ntsync uapi (include/uapi/linux/ntsync.h) -------------------------------------- */

#include <linux/ntsync.h> /* from test/include: the build machine's headers may predate it */

/* ---- ntsyncd control ioctls (src/ioctl/control.ts) ----------------------------------- */

struct ntsyncd_create_args {
	__u32 type; /* 1 semaphore, 2 mutex, 3 event */
	__u32 args[2];
	__u32 pad;
	__u64 id;
};
#define NTSYNCD_IOC_REGISTER    _IO(0xf3, 0x01)
#define NTSYNCD_IOC_CREATE      _IOWR(0xf3, 0x02, struct ntsyncd_create_args)
#define NTSYNCD_IOC_CUSE_DEVICE _IOR(0xf3, 0x03, __u32[2])

#define TYPE_SEM 1
#define TYPE_MUTEX 2
#define TYPE_EVENT 3

/* ---- checks --------------------------------------------------------------------------- */

#define FAIL(...) do { \
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	exit(1); \
} while (0)

#define CHECK(cond) do { \
	if (!(cond)) FAIL("CHECK(%s) failed (errno %d: %s)", #cond, errno, strerror(errno)); \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) FAIL("%s == %lld, expected %s == %lld (errno %d: %s)", #a, _a, #b, _b, errno, strerror(errno)); \
} while (0)

/* An ioctl that must fail with `err`. */
#define CHECK_ERRNO(call, err) do { \
	errno = 0; \
	long _r = (long)(call); \
	if (_r != -1 || errno != (err)) \
		FAIL("%s returned %ld errno %d (%s), expected -1 errno %d (%s)", #call, _r, errno, strerror(errno), (err), strerror(err)); \
} while (0)

/* ---- daemon paths, supervisor, objects ----------------------------------------------- */

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);
	if (!v) FAIL("%s is not set", name);
	return v;
}

static const char *device_path(void) { return env_or_die("NTSYNC_DEVICE"); }
static const char *mount_path(void) { return env_or_die("NTSYNC_MOUNT"); }

/*
 * Registers this process as a supervisor; the returned fd keeps the registration alive. Like
 * ntsync-run, it polls the control file first: the daemon answers ENOSYS, the kernel stops
 * sending it POLL, and from this REGISTER on the daemon checks fds it resolved before with fd
 * witnesses. NTSYNCD_TEST_NO_POLL leaves that out: every fd is then resolved through /proc.
 */
static int become_supervisor(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/control", mount_path());
	int fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	if (!getenv("NTSYNCD_TEST_NO_POLL")) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		CHECK(poll(&p, 1, 0) >= 0);
	}
	CHECK_EQ(ioctl(fd, NTSYNCD_IOC_REGISTER), 0);
	return fd;
}

/* True when the daemon serves the device through CUSE rather than the FUSE bind mount. */
static int serving_cuse(void)
{
	char path[512];
	__u32 numbers[2] = { 0, 0 };
	snprintf(path, sizeof(path), "%s/control", mount_path());
	int fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(ioctl(fd, NTSYNCD_IOC_CUSE_DEVICE, numbers), 0);
	close(fd);
	return numbers[0] != 0;
}

static int open_device(void)
{
	int fd = open(device_path(), O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	return fd;
}

/* The object's id, or -errno. */
static long long create_id(int dev, __u32 type, __u32 a, __u32 b)
{
	struct ntsyncd_create_args args = { .type = type, .args = { a, b } };
	if (ioctl(dev, NTSYNCD_IOC_CREATE, &args) < 0) return -errno;
	return (long long)args.id;
}

static int open_object(long long id)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%lld", mount_path(), id);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* What ntsync-run makes of NTSYNC_IOC_CREATE_*: the new object's fd, or -errno. */
static int create_obj(int dev, __u32 type, __u32 a, __u32 b)
{
	long long id = create_id(dev, type, a, b);
	if (id < 0) return (int)id;
	int fd = open_object(id);
	CHECK(fd >= 0);
	return fd;
}

static int create_sem(int dev, __u32 count, __u32 max) { return create_obj(dev, TYPE_SEM, count, max); }
static int create_mutex(int dev, __u32 owner, __u32 count) { return create_obj(dev, TYPE_MUTEX, owner, count); }
static int create_event(int dev, __u32 manual, __u32 signaled) { return create_obj(dev, TYPE_EVENT, manual, signaled); }

/* Whether <mount>/<id> still names a live object. */
static int object_exists(long long id)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%lld", mount_path(), id);
	return stat(path, &st) == 0;
}

/* Polls until the object's file has gone (its last reference was released); 0 on timeout. */
static int object_gone_within(long long id, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (!object_exists(id)) return 1;
		usleep(1000);
	}
	return 0;
}

/* ---- object state helpers -------------------------------------------------------------- */

static void check_sem(int sem, __u32 count, __u32 max)
{
	struct ntsync_sem_args a = { 0xdead, 0xbeef };
	CHECK_EQ(ioctl(sem, NTSYNC_IOC_SEM_READ, &a), 0);
	CHECK_EQ(a.count, count);
	CHECK_EQ(a.max, max);
}

static void check_mutex(int mutex, __u32 owner, __u32 count)
{
	struct ntsync_mutex_args a = { 0xdead, 0xbeef };
	CHECK_EQ(ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &a), 0);
	CHECK_EQ(a.owner, owner);
	CHECK_EQ(a.count, count);
}

static void check_event(int event, __u32 manual, __u32 signaled)
{
	struct ntsync_event_args a = { 0xdead, 0xbeef };
	CHECK_EQ(ioctl(event, NTSYNC_IOC_EVENT_READ, &a), 0);
	CHECK_EQ(a.manual, manual);
	CHECK_EQ(a.signaled, signaled);
}

/* Previous count, or -errno. */
static long sem_release(int sem, __u32 amount)
{
	__u32 v = amount;
	if (ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &v) < 0) return -errno;
	return v;
}

static long mutex_unlock(int mutex, __u32 owner)
{
	struct ntsync_mutex_args a = { owner, 0xbeef };
	if (ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &a) < 0) return -errno;
	if (a.owner != owner) FAIL("MUTEX_UNLOCK changed args.owner");
	return a.count;
}

static long event_op(int event, unsigned long cmd)
{
	__u32 prev = 0xbeef;
	if (ioctl(event, cmd, &prev) < 0) return -errno;
	return prev;
}

/* ---- time and waits -------------------------------------------------------------------- */

static __u64 now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u64 mono_in_ms(long ms) { return now_ns(CLOCK_MONOTONIC) + (__u64)ms * 1000000ull; }

#define INFINITE (~0ull)

/* One wait; returns 0 or -errno, with the index in *index (left untouched otherwise). */
static int wait_objs(int dev, unsigned long cmd, const int *objs, __u32 count, __u32 alert, __u32 owner,
		     __u64 timeout, __u32 flags, __u32 *index)
{
	struct ntsync_wait_args a = {
		.timeout = timeout, .objs = (uintptr_t)objs, .count = count, .index = 0xbeef,
		.flags = flags, .owner = owner, .alert = alert,
	};
	int r = ioctl(dev, cmd, &a);
	if (index) *index = a.index;
	return r < 0 ? -errno : r;
}

/* The selftest's style: a poll ("now" on MONOTONIC). */
static int wait_any_poll(int dev, const int *objs, __u32 count, __u32 owner, __u32 *index)
{
	return wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, count, 0, owner, now_ns(CLOCK_MONOTONIC), 0, index);
}

static int wait_all_poll(int dev, const int *objs, __u32 count, __u32 owner, __u32 *index)
{
	return wait_objs(dev, NTSYNC_IOC_WAIT_ALL, objs, count, 0, owner, now_ns(CLOCK_MONOTONIC), 0, index);
}

/* ---- threads that wait ----------------------------------------------------------------- */

struct waiter {
	pthread_t thread;
	pid_t tid;
	int dev;
	unsigned long cmd;
	int objs[64];
	__u32 count, alert, owner, flags;
	__u64 timeout;
	/* results */
	int result;
	__u32 index;
	__u64 returned_at;
	volatile int done;
};

static void *waiter_main(void *p)
{
	struct waiter *w = p;
	w->tid = gettid();
	w->result = wait_objs(w->dev, w->cmd, w->objs, w->count, w->alert, w->owner, w->timeout, w->flags, &w->index);
	w->returned_at = now_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* True once the thread (or process) sleeps inside a FUSE request, i.e. its wait is queued in ntsyncd. */
static int blocked_in_fuse(pid_t pid, pid_t tid)
{
	char path[128], wchan[128] = "";
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	FILE *f = fopen(path, "r");
	if (!f) return 0;
	size_t n = fread(wchan, 1, sizeof(wchan) - 1, f);
	fclose(f);
	wchan[n] = 0;
	return strstr(wchan, "request_wait_answer") != NULL || strstr(wchan, "fuse") != NULL;
}

/* Waits until the task sleeps in ntsyncd; gives up when *done becomes set (it returned instead). */
static void wait_until_blocked_or_done(pid_t pid, pid_t tid, volatile int *done)
{
	for (int i = 0; i < 5000; i++) {
		if (blocked_in_fuse(pid, tid)) return;
		if (done && __atomic_load_n(done, __ATOMIC_ACQUIRE)) return;
		usleep(1000);
	}
	FAIL("task %d/%d did not block in ntsyncd within 5 s", pid, tid);
}

static void wait_until_blocked(pid_t pid, pid_t tid)
{
	wait_until_blocked_or_done(pid, tid, NULL);
}

static void start_waiter(struct waiter *w)
{
	w->tid = 0;
	w->done = 0;
	CHECK_EQ(pthread_create(&w->thread, NULL, waiter_main, w), 0);
	while (!__atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)) sched_yield();
}

/*
 * Returns once the daemon has handled every request queued on this device's connection before
 * this call: the kernel queues a connection's requests in order and the daemon answers them in
 * order, so an answer to a no-op poll means earlier waits are queued in the daemon (their fds
 * resolved), not merely sent.
 */
static void sync_with_daemon(int dev)
{
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, NULL, 0, 0, 1, 0, 0, NULL), -ETIMEDOUT);
}

/* Starts the thread and returns once its wait sleeps in the daemon. */
static void start_blocked_waiter(struct waiter *w)
{
	start_waiter(w);
	wait_until_blocked_or_done(getpid(), w->tid, &w->done);
	if (w->done) FAIL("the wait returned at once (%d) instead of blocking", w->result);
	sync_with_daemon(w->dev);
	if (w->done) FAIL("the wait returned at once (%d) instead of blocking", w->result);
}

static void join_waiter(struct waiter *w)
{
	CHECK_EQ(pthread_join(w->thread, NULL), 0);
}

/* Fails if the waiter returns within `ms` (it should still be blocked). */
static void check_still_blocked(struct waiter *w, int ms)
{
	usleep(ms * 1000);
	if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) FAIL("the waiter returned (%d) but should still block", w->result);
}

/* ---- registry ----------------------------------------------------------------------------- */

struct test_case { const char *name; void (*fn)(void); };

#define TEST(name) static void test_##name(void)

static int run_tests(int argc, char **argv, const struct test_case *tests, size_t n)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < n; i++) puts(tests[i].name);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s --list | TEST\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(argv[1], tests[i].name)) {
			tests[i].fn();
			return 0;
		}
	}
	fprintf(stderr, "no test named %s\n", argv[1]);
	return 2;
}

#define T(name) { #name, test_##name }
#define RUN(...) \
	int main(int argc, char **argv) { \
		static const struct test_case tests[] = { __VA_ARGS__ }; \
		setvbuf(stdout, NULL, _IONBF, 0); \
		return run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0])); \
	}
