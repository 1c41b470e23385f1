/* ntbench: per-operation latency of ntsync operations, through the plain ntsync ABI.
 *
 *   ntbench --device PATH [--floor | --supervise MOUNT] [--pair-floor FLOORFILE] --case NAME
 *           [--iters N] [--warmup N] [--threads N] [--duration-ms N] [--count N] [--deadline-us N]
 *
 * Against a real device (the kernel's /dev/ntsync, or ntsyncd's under ntsync-run) objects are
 * made with NTSYNC_IOC_CREATE_* and every case does what it says. With --floor the device is the
 * benchmark's floor daemon (bench/floor/floor-fuse.c): the same ioctl numbers reach a no-op that
 * costs one FUSE round trip; "objects" are opens of the floor file, and blocking waits use the
 * floor's parked waits (see ntsync-abi.h). With --supervise MOUNT (ntsyncd without ntsync-run)
 * the client does the launcher's work itself: it registers as a supervisor on MOUNT/control and
 * makes each object with ntsyncd's control CREATE ioctl plus an open of MOUNT/<id>; everything
 * but CREATE then costs what it costs under the launcher. Each case prints one JSON line.
 *
 * --pair-floor FLOORFILE (the simple cases: sem_release, event_set, wait_*, create_close): the
 * same process also measures the floor, alternating with the device every 100 operations, and
 * prints a second line marked "paired":"floor". On the floor, CREATE is FLOOR_IOC_CREATE (same
 * size and direction as CREATE_SEM, a number the launcher's seccomp filter does not trap).
 *
 * Cases:
 *   sem_release         SEM_RELEASE(1) on a semaphore with max 0xFFFFFFFF
 *   event_set           EVENT_SET on a manual event
 *   wait_any_1|8|64     WAIT_ANY on N signalled manual events (succeeds at once, consumes nothing)
 *   wait_all_8          WAIT_ALL on 8 signalled manual events
 *   wake                a thread blocked in WAIT_ANY on an auto event; time from just before the
 *                       other thread's EVENT_SET to the waiter's return
 *   pingpong_threads    two auto events bounced between two threads (one round trip = 2 sets + 2 waits)
 *   pingpong_procs      the same between two processes
 *   create_close        CREATE_SEM + close of the new fd (floor: the no-op CREATE ioctl only)
 *   threads_sem_release --threads N threads, each on its own semaphore, for --duration-ms
 *   threads_event_set   the same with EVENT_SET
 *   deadline            WAIT_ANY on an unsignalled auto event with an absolute deadline
 *                       --deadline-us ahead; lateness of the ETIMEDOUT return past the deadline
 *   objects             create --count objects (sem/event/mutex round robin; spread over child
 *                       processes when RLIMIT_NOFILE is too small), print a "ready" line, keep
 *                       them until stdin closes or gives a line (the harness reads the daemon's
 *                       RSS in between)
 */
#include "bench-common.h"
#include "ntsync-abi.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *device_path;
static int floor_mode;
static const char *supervise_mount; /* --supervise: create objects through ntsyncd's control ioctl */
static int dev_fd = -1;
static const char *case_name = "?";
static long iters = 20000;
static long warmup = 1000;
static int nthreads = 1;
static long duration_ms = 1000;
static long object_count = 100000;
static long deadline_us = 1000;

struct obj {
	int fd;
	uint32_t id; /* floor: the fh of the open; 0 on a real device */
};

static void fail(const char *what)
{
	emit_error(case_name, "%s: %s", what, strerror(errno));
	exit(1);
}

static int open_device(void)
{
	int fd = open(device_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("open device");
	return fd;
}

static struct obj floor_object(void)
{
	struct obj o;
	uint64_t id = 0;
	o.fd = open_device();
	if (ioctl(o.fd, FLOOR_IOC_ID, &id) < 0)
		fail("FLOOR_IOC_ID (is this the floor daemon?)");
	o.id = (uint32_t)id & 0xFFFF;
	return o;
}

static void become_supervisor(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/control", supervise_mount);
	int fd = open(path, O_RDWR | O_CLOEXEC); /* kept open: the registration lives with it */
	if (fd < 0)
		fail("open <mount>/control");
	if (ioctl(fd, NTSYNCD_IOC_REGISTER) < 0)
		fail("NTSYNCD_IOC_REGISTER");
}

/* What ntsync-run does for a CREATE: the new object's fd, or -1 with errno. */
static int supervised_create(uint32_t type, uint32_t a, uint32_t b)
{
	struct ntsyncd_create_args args = { .type = type, .args = { a, b } };
	if (ioctl(dev_fd, NTSYNCD_IOC_CREATE, &args) < 0)
		return -1;
	char path[4096];
	snprintf(path, sizeof path, "%s/%llu", supervise_mount, (unsigned long long)args.id);
	return open(path, O_RDWR | O_CLOEXEC);
}

static struct obj make_sem(uint32_t count, uint32_t max)
{
	if (floor_mode)
		return floor_object();
	if (supervise_mount) {
		struct obj o = { .fd = supervised_create(NTSYNCD_TYPE_SEM, count, max), .id = 0 };
		if (o.fd < 0)
			fail("control CREATE (semaphore)");
		return o;
	}
	struct ntsync_sem_args a = { .count = count, .max = max };
	struct obj o = { .fd = ioctl(dev_fd, NTSYNC_IOC_CREATE_SEM, &a), .id = 0 };
	if (o.fd < 0)
		fail("CREATE_SEM");
	return o;
}

static struct obj make_event(int manual, int signaled)
{
	if (floor_mode)
		return floor_object();
	if (supervise_mount) {
		struct obj o = { .fd = supervised_create(NTSYNCD_TYPE_EVENT, (uint32_t)manual, (uint32_t)signaled), .id = 0 };
		if (o.fd < 0)
			fail("control CREATE (event)");
		return o;
	}
	struct ntsync_event_args a = { .manual = (uint32_t)manual, .signaled = (uint32_t)signaled };
	struct obj o = { .fd = ioctl(dev_fd, NTSYNC_IOC_CREATE_EVENT, &a), .id = 0 };
	if (o.fd < 0)
		fail("CREATE_EVENT");
	return o;
}

static struct obj make_mutex(void)
{
	if (floor_mode)
		return floor_object();
	if (supervise_mount) {
		struct obj o = { .fd = supervised_create(NTSYNCD_TYPE_MUTEX, 0, 0), .id = 0 };
		if (o.fd < 0)
			fail("control CREATE (mutex)");
		return o;
	}
	struct ntsync_mutex_args a = { 0, 0 };
	struct obj o = { .fd = ioctl(dev_fd, NTSYNC_IOC_CREATE_MUTEX, &a), .id = 0 };
	if (o.fd < 0)
		fail("CREATE_MUTEX");
	return o;
}

static void event_set(const struct obj *o)
{
	uint32_t prev = 0;
	if (ioctl(o->fd, NTSYNC_IOC_EVENT_SET, &prev) < 0)
		fail("EVENT_SET");
}

/* A wait that may block, on one object: on the floor, a parked wait on that object. Returns 0 or
 * the errno (ETIMEDOUT). */
static int wait_one(const struct obj *o, uint64_t timeout)
{
	int fds[1] = { o->fd };
	struct ntsync_wait_args a;
	memset(&a, 0, sizeof a);
	a.timeout = timeout;
	a.objs = (uint64_t)(uintptr_t)fds;
	a.count = 1;
	a.owner = floor_mode ? (FLOOR_PARK | o->id) : 1;
	if (ioctl(dev_fd, NTSYNC_IOC_WAIT_ANY, &a) < 0) {
		if (errno == ETIMEDOUT)
			return ETIMEDOUT;
		fail("WAIT_ANY (blocking)");
	}
	return 0;
}

/* ---- simple latency loops ------------------------------------------------------------------ */

/* With --pair-floor the client holds two "sides", the device under test (0) and the floor (1), and
 * alternates between them every PAIR_BLOCK operations: both are then measured under the same
 * conditions, which a shared, busy machine changes every few seconds (for example whether the
 * client and the daemon get a CPU each or share one, which can triple a round trip). */
#define PAIR_BLOCK 100

struct side {
	const char *device_path;
	int floor_mode;
	const char *supervise_mount;
	int dev_fd;
};
static struct side sides[2];
static int nsides = 1;

static void use_side(int i)
{
	device_path = sides[i].device_path;
	floor_mode = sides[i].floor_mode;
	supervise_mount = sides[i].supervise_mount;
	dev_fd = sides[i].dev_fd;
}

static int64_t *samples(void)
{
	return xcalloc((size_t)iters, sizeof(int64_t));
}

/* Runs warmup + iters timed operations on every side, interleaved in blocks, and prints one line
 * per side (the floor's marked "paired":"floor"). `extra` is more JSON members, or "". */
static void paired_loop(int64_t (*op)(int side), const char *extra)
{
	int64_t *v[2] = { samples(), nsides > 1 ? samples() : NULL };
	long got[2] = { 0, 0 }, seen[2] = { 0, 0 };
	long block = nsides > 1 ? PAIR_BLOCK : iters + warmup;
	for (;;) {
		int busy = 0;
		for (int sd = 0; sd < nsides; sd++) {
			if (got[sd] >= iters)
				continue;
			busy = 1;
			use_side(sd);
			for (long k = 0; k < block && got[sd] < iters; k++) {
				int64_t ns = op(sd);
				if (seen[sd]++ >= warmup)
					v[sd][got[sd]++] = ns;
			}
		}
		if (!busy)
			break;
	}
	use_side(0);
	const char *sep = *extra ? "," : "";
	struct stats st = stats_of(v[0], (size_t)iters);
	emit(case_name, &st, "\"paired\":%s%s%s", nsides > 1 ? "\"yes\"" : "false", sep, extra);
	if (nsides > 1) {
		struct stats fl = stats_of(v[1], (size_t)iters);
		emit(case_name, &fl, "\"paired\":\"floor\"%s%s", sep, extra);
	}
}

static struct obj g_obj[2];
static int g_fds[2][NTSYNC_MAX_WAIT_COUNT];
static int g_nobjs;
static unsigned long g_wait_cmd;

static int64_t op_sem_release(int sd)
{
	uint32_t amount = 1;
	uint64_t t0 = now_ns();
	if (ioctl(g_obj[sd].fd, NTSYNC_IOC_SEM_RELEASE, &amount) < 0)
		fail("SEM_RELEASE");
	return (int64_t)(now_ns() - t0);
}

static int64_t op_event_set(int sd)
{
	uint32_t prev = 0;
	uint64_t t0 = now_ns();
	if (ioctl(g_obj[sd].fd, NTSYNC_IOC_EVENT_SET, &prev) < 0)
		fail("EVENT_SET");
	return (int64_t)(now_ns() - t0);
}

static int64_t op_wait(int sd)
{
	struct ntsync_wait_args a;
	memset(&a, 0, sizeof a);
	a.timeout = NTSYNC_TIMEOUT_INFINITE;
	a.objs = (uint64_t)(uintptr_t)g_fds[sd];
	a.count = (uint32_t)g_nobjs;
	a.owner = 1;
	a.index = 0xFFFFFFFFu;
	uint64_t t0 = now_ns();
	if (ioctl(dev_fd, g_wait_cmd, &a) < 0)
		fail(g_wait_cmd == NTSYNC_IOC_WAIT_ALL ? "WAIT_ALL" : "WAIT_ANY");
	uint64_t t1 = now_ns();
	if (!floor_mode && a.index != 0) { /* the floor echoes the in bytes */
		errno = 0;
		emit_error(case_name, "wait returned index %u, expected 0", a.index);
		exit(1);
	}
	return (int64_t)(t1 - t0);
}

static int64_t op_create_close(int sd)
{
	(void)sd;
	struct ntsync_sem_args a = { .count = 0, .max = 1 };
	uint64_t t0 = now_ns();
	int fd;
	if (floor_mode)
		fd = ioctl(dev_fd, FLOOR_IOC_CREATE, &a); /* same size and direction, not trapped by the launcher */
	else if (supervise_mount)
		fd = supervised_create(NTSYNCD_TYPE_SEM, a.count, a.max);
	else
		fd = ioctl(dev_fd, NTSYNC_IOC_CREATE_SEM, &a);
	if (fd < 0)
		fail("CREATE_SEM");
	if (!floor_mode)
		close(fd);
	return (int64_t)(now_ns() - t0);
}

static void case_sem_release(void)
{
	for (int sd = 0; sd < nsides; sd++) {
		use_side(sd);
		g_obj[sd] = make_sem(0, 0xFFFFFFFFu);
	}
	paired_loop(op_sem_release, "");
}

static void case_event_set(void)
{
	for (int sd = 0; sd < nsides; sd++) {
		use_side(sd);
		g_obj[sd] = make_event(1, 0);
	}
	paired_loop(op_event_set, "");
}

static void case_wait_signalled(int all, int n)
{
	for (int sd = 0; sd < nsides; sd++) {
		use_side(sd);
		for (int k = 0; k < n; k++)
			g_fds[sd][k] = make_event(1, 1).fd; /* manual and set: every wait succeeds, nothing consumed */
	}
	g_nobjs = n;
	g_wait_cmd = all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY;
	char extra[32];
	snprintf(extra, sizeof extra, "\"objects\":%d", n);
	paired_loop(op_wait, extra);
}

static void case_create_close(void)
{
	paired_loop(op_create_close, "");
}

/* ---- wake latency --------------------------------------------------------------------------- */

static struct {
	struct obj ev;
	_Atomic long armed;  /* the waiter is about to wait for round i: i + 1 */
	_Atomic long done;   /* the waiter returned from round i: i + 1 */
	_Atomic int tid;
	uint64_t *t_ret;
	long rounds;
} wk;

static void *wake_waiter(void *unused)
{
	(void)unused;
	atomic_store(&wk.tid, (int)syscall(SYS_gettid));
	for (long i = 0; i < wk.rounds; i++) {
		atomic_store(&wk.armed, i + 1);
		wait_one(&wk.ev, NTSYNC_TIMEOUT_INFINITE);
		wk.t_ret[i] = now_ns();
		atomic_store(&wk.done, i + 1);
	}
	return NULL;
}

/* The thread's scheduler state from /proc/self/task/<tid>/stat ('S' = asleep). */
static char task_state(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void case_wake(void)
{
	long rounds = iters + warmup;
	wk.ev = make_event(0, 0);
	wk.rounds = rounds;
	wk.t_ret = xcalloc((size_t)rounds, sizeof(uint64_t));
	uint64_t *t_set = xcalloc((size_t)rounds, sizeof(uint64_t));
	pthread_t th;
	pthread_create(&th, NULL, wake_waiter, NULL);
	while (!atomic_load(&wk.tid))
		sched_yield();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", atomic_load(&wk.tid));
	int statfd = open(path, O_RDONLY | O_CLOEXEC);
	if (statfd < 0)
		fail("open task stat");
	long unsettled = 0;
	for (long i = 0; i < rounds; i++) {
		while (atomic_load(&wk.armed) != i + 1)
			sched_yield();
		/* Wait until the waiter sleeps in its ioctl, then let the daemon park it. */
		int spins = 0;
		while (task_state(statfd) != 'S' && ++spins < 100000)
			sched_yield();
		if (spins >= 100000)
			unsettled++;
		sleep_ns(100000);
		t_set[i] = now_ns();
		event_set(&wk.ev);
		while (atomic_load(&wk.done) != i + 1)
			sched_yield();
	}
	pthread_join(th, NULL);
	int64_t *v = samples();
	for (long i = 0; i < iters; i++)
		v[i] = (int64_t)(wk.t_ret[warmup + i] - t_set[warmup + i]);
	struct stats st = stats_of(v, (size_t)iters);
	emit(case_name, &st, "\"unsettled\":%ld", unsettled);
}

/* ---- ping-pong -------------------------------------------------------------------------------- */

static struct obj pp_a, pp_b;

static void pingpong_echo(long rounds)
{
	for (long i = 0; i < rounds; i++) {
		wait_one(&pp_a, NTSYNC_TIMEOUT_INFINITE);
		event_set(&pp_b);
	}
}

static void *pingpong_thread(void *arg)
{
	pingpong_echo(*(long *)arg);
	return NULL;
}

static void case_pingpong(int procs)
{
	long rounds = iters + warmup;
	pp_a = make_event(0, 0);
	pp_b = make_event(0, 0);
	pthread_t th;
	pid_t child = -1;
	if (procs) {
		child = fork();
		if (child < 0)
			fail("fork");
		if (child == 0) {
			pingpong_echo(rounds);
			_exit(0);
		}
	} else {
		pthread_create(&th, NULL, pingpong_thread, &rounds);
	}
	int64_t *v = samples();
	for (long i = -warmup; i < iters; i++) {
		uint64_t t0 = now_ns();
		event_set(&pp_a);
		wait_one(&pp_b, NTSYNC_TIMEOUT_INFINITE);
		uint64_t t1 = now_ns();
		if (i >= 0)
			v[i] = (int64_t)(t1 - t0);
	}
	if (procs) {
		int status;
		waitpid(child, &status, 0);
	} else {
		pthread_join(th, NULL);
	}
	struct stats st = stats_of(v, (size_t)iters);
	emit(case_name, &st, "\"per\":\"round trip (2 sets + 2 wakes)\"");
}

/* ---- concurrent client threads ----------------------------------------------------------------- */

#define MAX_THREADS 64
#define THREAD_SAMPLE_CAP 400000

static struct {
	int event; /* EVENT_SET rather than SEM_RELEASE */
	pthread_barrier_t start;
	_Atomic int stop;
	struct {
		struct obj o;
		long ops;
		int64_t *lat;
		long nlat;
		uint64_t t0, t1;
	} t[MAX_THREADS];
} th;

static void *throughput_thread(void *arg)
{
	long k = (long)arg;
	struct obj o = th.t[k].o;
	int64_t *lat = th.t[k].lat;
	long ops = 0, nlat = 0;
	unsigned long cmd = th.event ? NTSYNC_IOC_EVENT_SET : NTSYNC_IOC_SEM_RELEASE;
	for (long w = 0; w < warmup / 4; w++) {
		uint32_t v = 1;
		if (ioctl(o.fd, cmd, &v) < 0)
			fail("warm-up ioctl");
	}
	pthread_barrier_wait(&th.start);
	uint64_t start = now_ns(), t0 = start;
	while (!atomic_load_explicit(&th.stop, memory_order_relaxed)) {
		uint32_t v = 1;
		if (ioctl(o.fd, cmd, &v) < 0)
			fail(th.event ? "EVENT_SET" : "SEM_RELEASE");
		uint64_t t1 = now_ns();
		if (nlat < THREAD_SAMPLE_CAP)
			lat[nlat++] = (int64_t)(t1 - t0);
		t0 = t1;
		ops++;
	}
	th.t[k].ops = ops;
	th.t[k].nlat = nlat;
	th.t[k].t0 = start;
	th.t[k].t1 = t0;
	return NULL;
}

static void case_threads(int event)
{
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		emit_error(case_name, "--threads must be 1..%d", MAX_THREADS);
		exit(1);
	}
	th.event = event;
	pthread_barrier_init(&th.start, NULL, (unsigned)nthreads + 1);
	pthread_t ids[MAX_THREADS];
	for (long k = 0; k < nthreads; k++) {
		th.t[k].o = event ? make_event(1, 0) : make_sem(0, 0xFFFFFFFFu);
		th.t[k].lat = xcalloc(THREAD_SAMPLE_CAP, sizeof(int64_t));
		pthread_create(&ids[k], NULL, throughput_thread, (void *)k);
	}
	pthread_barrier_wait(&th.start);
	sleep_ns((uint64_t)duration_ms * 1000000ull);
	atomic_store(&th.stop, 1);
	long total_ops = 0, nlat = 0;
	double total_rate = 0, min_rate = 1e300;
	for (long k = 0; k < nthreads; k++) {
		pthread_join(ids[k], NULL);
		double secs = (double)(th.t[k].t1 - th.t[k].t0) / 1e9;
		double rate = secs > 0 ? (double)th.t[k].ops / secs : 0;
		total_ops += th.t[k].ops;
		total_rate += rate;
		if (rate < min_rate)
			min_rate = rate;
		nlat += th.t[k].nlat;
	}
	int64_t *all = xcalloc((size_t)nlat, sizeof(int64_t));
	for (long k = 0, at = 0; k < nthreads; k++) {
		memcpy(all + at, th.t[k].lat, (size_t)th.t[k].nlat * sizeof(int64_t));
		at += th.t[k].nlat;
	}
	struct stats st = stats_of(all, (size_t)nlat);
	emit(case_name, &st, "\"threads\":%d,\"ops\":%ld,\"ops_per_s_total\":%.0f,\"ops_per_s_per_thread\":%.0f,\"ops_per_s_min_thread\":%.0f",
	     nthreads, total_ops, total_rate, total_rate / nthreads, min_rate);
}

/* ---- deadline accuracy ------------------------------------------------------------------------ */

static void case_deadline(void)
{
	struct obj e = make_event(0, 0);
	int64_t *v = samples();
	long early = 0;
	for (long i = -warmup; i < iters; i++) {
		/* vary the offset a little so the deadlines do not line up with a timer tick */
		uint64_t deadline = now_ns() + (uint64_t)deadline_us * 1000ull + (uint64_t)((i & 15) * 37000);
		int r = wait_one(&e, deadline);
		uint64_t t1 = now_ns();
		if (r != ETIMEDOUT) {
			emit_error(case_name, "a wait on an unsignalled event returned %d, not ETIMEDOUT", r);
			exit(1);
		}
		int64_t late = (int64_t)(t1 - deadline);
		if (late < 0)
			early++;
		if (i >= 0)
			v[i] = late;
	}
	struct stats st = stats_of(v, (size_t)iters);
	emit(case_name, &st, "\"deadline_us\":%ld,\"early\":%ld", deadline_us, early);
}

/* ---- many live objects ------------------------------------------------------------------------- */

/* Creates `n` objects (sem/event/mutex round robin) into fds[]; returns the mean ns per create. */
static double create_objects(int *fds, long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		switch (i % 3) {
		case 0: fds[i] = make_sem(0, 1).fd; break;
		case 1: fds[i] = make_event((int)(i & 1), 0).fd; break;
		default: fds[i] = make_mutex().fd; break;
		}
	}
	return n ? (double)(now_ns() - t0) / (double)n : 0;
}

/* One process can hold only RLIMIT_NOFILE fds, and the hard limit cannot always be raised (no
 * CAP_SYS_RESOURCE in a container): the objects are then spread over child processes, which keep
 * theirs until the parent lets go. The daemon's memory is the same either way. */
static void case_objects(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t want = (rlim_t)object_count + 1024;
	if (rl.rlim_cur < want) {
		struct rlimit up = { want, want > rl.rlim_max ? want : rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) < 0) {
			up.rlim_cur = up.rlim_max = rl.rlim_max; /* as many as the hard limit allows */
			setrlimit(RLIMIT_NOFILE, &up);
		}
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	long per_proc = (long)rl.rlim_cur - 256;
	if (per_proc < 1000) {
		emit_error(case_name, "RLIMIT_NOFILE is only %ld", (long)rl.rlim_cur);
		exit(1);
	}
	long nproc = (object_count + per_proc - 1) / per_proc;
	long share = (object_count + nproc - 1) / nproc;
	int ready[2], release[2];
	if (pipe(ready) < 0 || pipe(release) < 0)
		fail("pipe");
	uint64_t t0 = now_ns();
	pid_t kids[1024];
	long nkids = 0;
	for (long k = 1; k < nproc && nkids < 1024; k++) { /* the children make the first shares */
		long n = share;
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			close(ready[0]);
			close(release[1]);
			if (supervise_mount)
				become_supervisor(); /* without the launcher, each creator is its own supervisor */
			int *fds = xcalloc((size_t)n, sizeof(int));
			create_objects(fds, n);
			char c = 1;
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			while (read(release[0], &c, 1) < 0 && errno == EINTR)
				; /* EOF when the parent lets go */
			_exit(0);
		}
		kids[nkids++] = pid;
	}
	close(ready[1]);
	close(release[0]);
	long mine = object_count - share * nkids;
	int *fds = xcalloc((size_t)(mine > 0 ? mine : 1), sizeof(int));
	create_objects(fds, mine > 0 ? mine : 0);
	for (long k = 0; k < nkids; k++) {
		char c;
		if (read(ready[0], &c, 1) != 1) {
			emit_error(case_name, "a child process failed to create its objects");
			exit(1);
		}
	}
	uint64_t t1 = now_ns();
	/* still alive? */
	struct ntsync_sem_args sa;
	if (!floor_mode && mine > 0 && ioctl(fds[0], NTSYNC_IOC_SEM_READ, &sa) < 0)
		fail("SEM_READ of the first object");
	emit(case_name, NULL, "\"ready\":true,\"created\":%ld,\"processes\":%ld,\"create_ns_mean\":%.0f", object_count,
	     nkids + 1, (double)(t1 - t0) / (double)object_count);
	char c;
	while (read(0, &c, 1) < 0 && errno == EINTR)
		;
	uint64_t t2 = now_ns();
	close(release[1]);
	for (long i = 0; i < mine; i++)
		close(fds[i]);
	for (long k = 0; k < nkids; k++)
		waitpid(kids[k], NULL, 0);
	emit("objects_closed", NULL, "\"close_ns_mean\":%.0f", (double)(now_ns() - t2) / (double)object_count);
}

/* ---- main ------------------------------------------------------------------------------------- */

static long num_arg(const char *opt, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 0) {
		fprintf(stderr, "ntbench: bad number for %s: %s\n", opt, v);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *pair_floor = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--floor")) {
			floor_mode = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "ntbench: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--device")) device_path = v;
		else if (!strcmp(a, "--supervise")) supervise_mount = v;
		else if (!strcmp(a, "--pair-floor")) pair_floor = v;
		else if (!strcmp(a, "--case")) case_name = v;
		else if (!strcmp(a, "--iters")) iters = num_arg(a, v);
		else if (!strcmp(a, "--warmup")) warmup = num_arg(a, v);
		else if (!strcmp(a, "--threads")) nthreads = (int)num_arg(a, v);
		else if (!strcmp(a, "--duration-ms")) duration_ms = num_arg(a, v);
		else if (!strcmp(a, "--count")) object_count = num_arg(a, v);
		else if (!strcmp(a, "--deadline-us")) deadline_us = num_arg(a, v);
		else {
			fprintf(stderr, "ntbench: unknown option %s\n", a);
			return 2;
		}
	}
	if (!device_path || iters < 1) {
		fprintf(stderr, "usage: ntbench --device PATH [--floor] --case NAME [--iters N] [--warmup N] ...\n");
		return 2;
	}
	if (supervise_mount && floor_mode) {
		fprintf(stderr, "ntbench: --supervise and --floor exclude each other\n");
		return 2;
	}
	if (supervise_mount)
		become_supervisor(); /* before the device open: ntsyncd refuses unsupervised opens */
	dev_fd = open_device();
	sides[0] = (struct side){ device_path, floor_mode, supervise_mount, dev_fd };
	if (pair_floor) {
		if (floor_mode) {
			fprintf(stderr, "ntbench: --pair-floor is for the device under test, not with --floor\n");
			return 2;
		}
		sides[1] = (struct side){ pair_floor, 1, NULL, -1 };
		use_side(1);
		sides[1].dev_fd = open_device();
		nsides = 2;
		use_side(0);
	}

	const char *c = case_name;
	if (!strcmp(c, "sem_release")) case_sem_release();
	else if (!strcmp(c, "event_set")) case_event_set();
	else if (!strcmp(c, "wait_any_1")) case_wait_signalled(0, 1);
	else if (!strcmp(c, "wait_any_8")) case_wait_signalled(0, 8);
	else if (!strcmp(c, "wait_any_64")) case_wait_signalled(0, 64);
	else if (!strcmp(c, "wait_all_8")) case_wait_signalled(1, 8);
	else if (!strcmp(c, "wake")) case_wake();
	else if (!strcmp(c, "pingpong_threads")) case_pingpong(0);
	else if (!strcmp(c, "pingpong_procs")) case_pingpong(1);
	else if (!strcmp(c, "create_close")) case_create_close();
	else if (!strcmp(c, "threads_sem_release")) case_threads(0);
	else if (!strcmp(c, "threads_event_set")) case_threads(1);
	else if (!strcmp(c, "deadline")) case_deadline();
	else if (!strcmp(c, "objects")) case_objects();
	else {
		fprintf(stderr, "ntbench: unknown case %s\n", c);
		return 2;
	}
	return 0;
}
