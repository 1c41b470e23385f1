/*
 * wine-pattern: Wine's way of using /dev/ntsync, reproduced without Wine.
 *
 *   wine-pattern run DEVICE [options]     (see usage())
 *
 * Three roles in one binary:
 *   main    forks the server, starts the clients, relays the server's report, and exits 0
 *           only if the server printed "RESULT PASS" and every client exited 0.
 *   server  like wineserver: daemonizes by double fork (so it is re-parented to the nearest
 *           subreaper, which is ntsync-run when run under it), opens DEVICE O_RDONLY|O_CLOEXEC,
 *           creates every object, listens on a unix socket, hands the device fd and object fds
 *           out one request at a time over SCM_RIGHTS, kills the mutexes of every thread whose
 *           connection closes (MUTEX_KILL, as abandon_inproc_mutexes() does), and checks the
 *           invariants at the end.
 *   client  like a Wine process (started by exec, so nothing is inherited): fetches and caches
 *           the fds, then runs worker threads (waits, releases, set/reset/pulse, unlocks, reads)
 *           and "doomed" threads (take mutexes and die holding them), while a suspender thread
 *           sends SIGUSR1 (SA_RESTART handler) to all of them in a loop, as Wine's thread
 *           suspension does.
 *
 * Every thread keeps its tallies in a shared memfd that the server also hands out. The
 * invariants (checked by the server once everyone is gone):
 *   semaphores   initial + released - acquired by successful waits == final count, per semaphore
 *   mutexes      initial count + acquisitions == unlocks + recursion killed, per mutex; each kill
 *                is seen by exactly one EOWNERDEAD wait or is still pending in MUTEX_READ; the
 *                owner recorded in shared memory never changes hands while held (no double grant)
 *   auto events  initially signaled + SETs that found it unsignaled
 *                  == acquisitions + RESETs that found it signaled + final state, per event
 *   alerts       the same, per thread alert event
 *   waits        the index names an object that could satisfy the wait (lowest duplicate,
 *                alert index only with an alert, mutex then owned by us, quit gate only after the
 *                server set it...), untouched on ETIMEDOUT, no timeout before its deadline, and
 *                no errno other than ETIMEDOUT/EOWNERDEAD (no EINTR: handlers are SA_RESTART)
 * A lost wake (a token consumed that nobody reports) or a doubled wake (one token reported
 * twice) breaks the first or third line; --fault lost-wake / double-wake / no-restart prove
 * that the check notices.
 *
 * Works as a 32-bit build too (-m32): clients can be a different binary (--client32), as
 * 32-bit Wine processes are beside a 64-bit wineserver; the shared layouts are fixed-size.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the ABI (uapi, 6.14+) */

#define NTSYNC_IOC_CREATE_SEM 0x40084E80u
#define NTSYNC_IOC_SEM_RELEASE 0xC0044E81u
#define NTSYNC_IOC_WAIT_ANY 0xC0284E82u
#define NTSYNC_IOC_WAIT_ALL 0xC0284E83u
#define NTSYNC_IOC_CREATE_MUTEX 0x40084E84u
#define NTSYNC_IOC_MUTEX_UNLOCK 0xC0084E85u
#define NTSYNC_IOC_MUTEX_KILL 0x40044E86u
#define NTSYNC_IOC_CREATE_EVENT 0x40084E87u
#define NTSYNC_IOC_EVENT_SET 0x80044E88u
#define NTSYNC_IOC_EVENT_RESET 0x80044E89u
#define NTSYNC_IOC_EVENT_PULSE 0x80044E8Au
#define NTSYNC_IOC_SEM_READ 0x80084E8Bu
#define NTSYNC_IOC_MUTEX_READ 0x80084E8Cu
#define NTSYNC_IOC_EVENT_READ 0x80084E8Du
#define NTSYNC_WAIT_REALTIME 0x1u

/* 64-bit fields are 8-aligned on i386 too, so 32- and 64-bit builds share one layout. */
typedef uint64_t u64 __attribute__((aligned(8)));

struct sem_args { uint32_t count, max; };
struct mutex_args { uint32_t owner, count; };
struct event_args { uint32_t manual, signaled; };
struct wait_args {
	u64 timeout;
	u64 objs;
	uint32_t count, index, flags, owner, alert, pad;
};
_Static_assert(sizeof(struct wait_args) == 40, "ntsync_wait_args is 40 bytes");

/* ---------------------------------------------------------------- objects and handles */

/* The server's objects, numbered like Wine's handles; the clients fetch each one by number. */
#define NSEM 24
#define NMUT 16
#define NAUTO 12
#define NMAN 8
#define H_SEM0 0
#define H_MUT0 (H_SEM0 + NSEM)
#define H_AUTO0 (H_MUT0 + NMUT)
#define H_MAN0 (H_AUTO0 + NAUTO)
#define H_PULSE_MAN (H_MAN0 + NMAN)   /* only ever pulsed */
#define H_PULSE_AUTO (H_PULSE_MAN + 1) /* only ever pulsed */
#define H_START (H_PULSE_AUTO + 1)     /* manual; set once every thread is registered */
#define H_QUIT (H_START + 1)           /* manual; set once every worker has finished */
#define NSHARED (H_QUIT + 1)
#define H_ALERT0 NSHARED /* one auto-reset alert event per client thread */
_Static_assert(NSHARED == 64, "the shared objects fill one maximal wait");

#define MAX_PROCS 8
#define MAX_TPP 16 /* threads per client process: workers + doomed */
#define MAX_THREADS (MAX_PROCS * MAX_TPP)
#define MAX_HANDLES (NSHARED + MAX_THREADS)

/* Owner ids that no Linux thread can have (tids stay below 2^22): a thread that "died" before
 * the clients came, and the server itself. */
#define GHOST_OWNER 0x40000001u
#define SERVER_OWNER 0x40000002u
#define M_GHOST 0  /* created owned by GHOST_OWNER (count 2), killed at once */
#define M_SERVER 1 /* created owned by SERVER_OWNER (count 1), unlocked when the clients start */

enum kind { K_SEM, K_MUTEX, K_AUTO, K_MANUAL, K_PULSE_MAN, K_PULSE_AUTO, K_START, K_QUIT, K_ALERT };

static enum kind kind_of(int h)
{
	if (h < H_MUT0) return K_SEM;
	if (h < H_AUTO0) return K_MUTEX;
	if (h < H_MAN0) return K_AUTO;
	if (h < H_PULSE_MAN) return K_MANUAL;
	if (h == H_PULSE_MAN) return K_PULSE_MAN;
	if (h == H_PULSE_AUTO) return K_PULSE_AUTO;
	if (h == H_START) return K_START;
	if (h == H_QUIT) return K_QUIT;
	return K_ALERT;
}

static uint32_t sem_max(int s) { return 4 + s % 5; }
static uint32_t sem_init(int s) { return 1 + s % 3; }
static uint32_t mutex_init_count(int m) { return m == M_GHOST ? 2 : m == M_SERVER ? 1 : 0; }
static uint32_t auto_init(int e) { return e % 2; }
static uint32_t manual_init(int e) { return e == 0; }

/* ---------------------------------------------------------------- shared tallies */

enum op { OP_WAIT_ANY, OP_WAIT_ALL, OP_SEM_RELEASE, OP_MUTEX_UNLOCK, OP_MUTEX_KILL, OP_EVENT_SET,
	  OP_EVENT_RESET, OP_EVENT_PULSE, OP_SEM_READ, OP_MUTEX_READ, OP_EVENT_READ, OP_COUNT };
static const char *const op_names[OP_COUNT] = { "wait_any", "wait_all", "sem_release", "mutex_unlock",
	"mutex_kill", "event_set", "event_reset", "event_pulse", "sem_read", "mutex_read", "event_read" };

/* errnos that the protocol produces on purpose; anything else is an error */
enum expected { EX_ETIMEDOUT, EX_EOWNERDEAD, EX_EPERM, EX_EOVERFLOW, EX_EINVAL, EX_COUNT };
static const char *const ex_names[EX_COUNT] = { "ETIMEDOUT", "EOWNERDEAD", "EPERM", "EOVERFLOW", "EINVAL" };

enum { DL_POLL, DL_PAST, DL_MONO, DL_REAL, DL_INFINITE, DL_COUNT };
static const char *const dl_names[DL_COUNT] = { "poll(0)", "past", "monotonic", "realtime", "infinite" };

#define NBUCKET 4 /* wait widths: 1, 2-8, 9-32, 33-64 */
static const char *const bucket_names[NBUCKET] = { "1", "2-8", "9-32", "33-64" };
static int bucket_of(uint32_t n) { return n <= 1 ? 0 : n <= 8 ? 1 : n <= 32 ? 2 : 3; }

enum role { R_WORKER = 1, R_DOOMED = 2 };

#define NERRMSG 4
struct tally {
	uint32_t role, proc, slot, tid;
	uint32_t registered, finished, exited, dead; /* flags */
	u64 ops[OP_COUNT];
	u64 expected[EX_COUNT];
	u64 wait_ok[2][NBUCKET]; /* [any/all][width] */
	u64 wait_timeout[2][NBUCKET];
	u64 wait_ownerdead, wait_alert, deadline[DL_COUNT];
	u64 sig_total, sig_in_wait, restarts, max_late_ns, read_ownerdead;
	u64 sem_acq[NSEM], sem_rel[NSEM];
	u64 mut_acq[NMUT], mut_unl[NMUT], mut_od[NMUT];
	uint32_t mut_held_at_exit[NMUT];
	u64 auto_acq[NAUTO], auto_set0[NAUTO], auto_reset1[NAUTO];
	u64 pulse_acq[2], pulses[2]; /* [manual, auto] */
	u64 alert_acq[MAX_THREADS], alert_set0[MAX_THREADS];
	u64 errors;
	char errmsg[NERRMSG][200];
};

#define SHM_MAGIC 0x6e747377u
struct shared {
	uint32_t magic, size;
	uint32_t quit_set;                 /* set by the server just before EVENT_SET(quit) */
	uint32_t mutex_holder[NMUT];       /* tid that holds it, by the holders' own account */
	uint32_t mutex_abandoned[NMUT];    /* 1 from just before a successful KILL to the EOWNERDEAD */
	uint32_t manual_sets[NMAN];        /* SETs started on each manual event */
	uint32_t pulses_started[2];
	uint32_t pad;
	u64 kills_ok[NMUT], killed_count[NMUT];
	u64 server_ops[OP_COUNT], server_expected[EX_COUNT];
	u64 signals_sent[MAX_PROCS];
	struct tally t[MAX_THREADS];
};

/* ---------------------------------------------------------------- the socket protocol */

/* One SOCK_SEQPACKET message per request and per reply; a reply may carry one fd. */
enum { REQ_HELLO = 1, REQ_GET_DEVICE, REQ_GET_SHM, REQ_GET_OBJ, REQ_THREAD_INIT, REQ_FINISHED };
struct msg {
	uint32_t op, a, b, c, d, e, f, g;
	u64 seed;
};

/* ---------------------------------------------------------------- small helpers */

static const char *role_name = "main";

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSYS: return "ENOSYS";
	case EOVERFLOW: return "EOVERFLOW";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ENXIO: return "ENXIO";
	case ECONNREFUSED: return "ECONNREFUSED";
	case 512: return "ERESTARTSYS(512, leaked from the kernel)";
	default: return "?";
	}
}

/* Set-up failures: the whole run is meaningless, so say exactly what failed and stop. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "wine-pattern: %s: %s\n", role_name, buf);
	exit(2);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleeps through signals: clock_nanosleep is never restarted by SA_RESTART. */
static void sleep_us(unsigned us)
{
	struct timespec ts;
	uint64_t until = now_ns(CLOCK_MONOTONIC) + us * 1000ull;
	ts.tv_sec = until / 1000000000ull;
	ts.tv_nsec = until % 1000000000ull;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static uint64_t rnd(uint64_t *s) /* splitmix64: deterministic per (seed, process, thread) */
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static uint32_t rnd_below(uint64_t *s, uint32_t n) { return (uint32_t)(rnd(s) % n); }

static int send_msg(int sock, const struct msg *m, int fd)
{
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof *m };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	memset(&u, 0, sizeof u);
	if (fd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t r;
	do r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)sizeof *m ? 0 : -1;
}

/* Returns the message length (0 at EOF); *fd gets the passed fd or -1. */
static ssize_t recv_msg(int sock, struct msg *m, int *fd)
{
	struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
	union { char buf[CMSG_SPACE(sizeof(int) * 4)]; struct cmsghdr align; } u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t r;
	do r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (fd) *fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < n; i++) {
				int got;
				memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
				if (fd && *fd < 0) *fd = got;
				else close(got);
			}
		}
	}
	return r;
}

/* Writes a whole line (the report pipe and stderr may be shared by several processes). */
static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return;
		s += w;
		n -= (size_t)w;
	}
}

/* ---------------------------------------------------------------- options */

enum fault { F_NONE, F_LOST_WAKE, F_DOUBLE_WAKE, F_NO_RESTART, F_HANG };

struct options {
	const char *device;
	int procs, threads, doomed, iters;
	uint64_t seed;
	int alarm_s, signal_us;
	int expect_subreaper;
	enum fault fault;
	const char *client32; /* odd-numbered clients run this binary if set */
};

static void usage(void)
{
	fprintf(stderr,
		"usage: wine-pattern run DEVICE [--procs N] [--threads N] [--doomed N] [--iters N]\n"
		"                    [--seed N] [--alarm SECONDS] [--signal-us N] [--expect-subreaper]\n"
		"                    [--client32 PATH] [--fault lost-wake|double-wake|no-restart|hang]\n"
		"  DEVICE must be an ntsync device (/dev/ntsync, or ntsyncd's under ntsync-run).\n"
		"  --signal-us: mean SIGUSR1 period per thread (0: as fast as possible).\n"
		"  --fault: break the run on purpose, to see the checks fail (hang: a wait that never\n"
		"  ends, to see the alarm fire).\n"
		"  Exit status: 0 pass, 1 an invariant or errno check failed, 2 set-up failed,\n"
		"  3 the global alarm fired (something hung).\n");
	exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .procs = 3, .threads = 4, .doomed = 2, .iters = 300, .seed = 1,
			       .alarm_s = 60, .signal_us = 1500 };
	if (argc < 3) usage();
	o->device = argv[2];
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NUM(name, field, lo, hi)                                                        \
	if (!strcmp(a, name)) {                                                         \
		if (!v) usage();                                                        \
		long long x = strtoll(v, NULL, 0);                                      \
		if (x < (lo) || x > (hi)) die("%s must be in %d..%d", name, (int)(lo), (int)(hi)); \
		o->field = x;                                                           \
		i++;                                                                    \
		continue;                                                               \
	}
		NUM("--procs", procs, 1, MAX_PROCS)
		NUM("--threads", threads, 1, MAX_TPP - 1)
		NUM("--doomed", doomed, 0, MAX_TPP - 1)
		NUM("--iters", iters, 1, 1000000)
		NUM("--seed", seed, 0, 0x7fffffff)
		NUM("--alarm", alarm_s, 1, 3600)
		NUM("--signal-us", signal_us, 0, 1000000)
#undef NUM
		if (!strcmp(a, "--expect-subreaper")) { o->expect_subreaper = 1; continue; }
		if (!strcmp(a, "--client32") && v) { o->client32 = v; i++; continue; }
		if (!strcmp(a, "--fault") && v) {
			if (!strcmp(v, "lost-wake")) o->fault = F_LOST_WAKE;
			else if (!strcmp(v, "double-wake")) o->fault = F_DOUBLE_WAKE;
			else if (!strcmp(v, "no-restart")) o->fault = F_NO_RESTART;
			else if (!strcmp(v, "hang")) o->fault = F_HANG;
			else usage();
			i++;
			continue;
		}
		usage();
	}
	if (o->threads + o->doomed > MAX_TPP) die("--threads + --doomed must be at most %d", MAX_TPP);
}

/* ================================================================ client */

struct client {
	int proc, tpp, threads, doomed, iters, signal_us;
	enum fault fault;
	uint64_t seed;
	const char *sockpath;
	int dev;
	int fds[MAX_HANDLES];
	int nhandles;
	struct shared *sh;
	pthread_mutex_t lock; /* guards the tid list the suspender reads */
	uint32_t tids[MAX_TPP];
	int alive[MAX_TPP];
	int live; /* threads not yet exited */
};

struct ctx {
	struct client *cl;
	int slot, global, is_doomed, conn;
	uint32_t tid;
	struct tally *t;
	uint64_t rng;
	uint32_t held[NMUT];
	int alert_h;
	int fault_pending;
};

static __thread volatile sig_atomic_t tls_in_wait;
static __thread volatile unsigned long tls_sig_total, tls_sig_in_wait, tls_restarts;

/*
 * Counts the waits that this signal interrupted and that the kernel will restart. Before it
 * runs a handler for a syscall that ended in -ERESTARTSYS with SA_RESTART, x86 rewinds the saved
 * instruction pointer onto the syscall instruction and puts the syscall number back in the
 * accumulator: that is what the handler's context shows. A wait that completed first returns
 * normally, and a handler that ran between syscalls sees an ordinary context.
 */
#if defined(__x86_64__) || defined(__i386__)
#define CAN_COUNT_RESTARTS 1
#else
#define CAN_COUNT_RESTARTS 0
#endif

static void on_sigusr1(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	tls_sig_total++;
	if (!tls_in_wait) return;
	tls_sig_in_wait++;
#if defined(__x86_64__)
	const ucontext_t *uc = ucv;
	const unsigned char *ip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
	if (uc->uc_mcontext.gregs[REG_RAX] == SYS_ioctl && ip[0] == 0x0f && ip[1] == 0x05) tls_restarts++;
#elif defined(__i386__)
	const ucontext_t *uc = ucv;
	const unsigned char *ip = (const unsigned char *)uc->uc_mcontext.gregs[REG_EIP];
	/* int $0x80, or sysenter/syscall (the vDSO restarts through its int $0x80) */
	if (uc->uc_mcontext.gregs[REG_EAX] == SYS_ioctl &&
	    ((ip[0] == 0xcd && ip[1] == 0x80) || (ip[0] == 0x0f && (ip[1] == 0x34 || ip[1] == 0x05))))
		tls_restarts++;
#else
	(void)ucv;
#endif
}

static void __attribute__((format(printf, 2, 3))) fail(struct ctx *c, const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	uint64_t n = c->t->errors++;
	if (n < NERRMSG) snprintf(c->t->errmsg[n], sizeof c->t->errmsg[n], "%s", buf);
	if (n < NERRMSG) {
		char line[320];
		int len = snprintf(line, sizeof line, "wine-pattern: client %d thread %d (tid %u): %s\n", c->cl->proc,
				   c->slot, c->tid, buf);
		write_all(2, line, (size_t)len);
	}
}

static int connect_server(const char *path)
{
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (s < 0) die("socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int r;
	do r = connect(s, (struct sockaddr *)&sa, sizeof sa);
	while (r < 0 && errno == EINTR);
	if (r < 0) die("connect %s: %s", path, strerror(errno));
	return s;
}

static int request(int sock, struct msg *m, int *fd)
{
	if (send_msg(sock, m, -1) < 0) die("send request %u: %s", m->op, strerror(errno));
	ssize_t r = recv_msg(sock, m, fd);
	if (r != (ssize_t)sizeof *m) die("no reply from the server (%s)", r == 0 ? "EOF" : strerror(errno));
	return 0;
}

/* ---- bookkeeping of acquisitions */

static void check_mutex_owned(struct ctx *c, int m)
{
	struct mutex_args ma = { 0xdead, 0xdead };
	int r = ioctl(c->cl->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_READ, &ma);
	int e = errno;
	c->t->ops[OP_MUTEX_READ]++;
	if (r != 0)
		fail(c, "MUTEX_READ of mutex %d that we hold (count %u): ret %d %s", m, c->held[m], r, errno_name(e));
	else if (ma.owner != c->tid || ma.count != c->held[m])
		fail(c, "mutex %d that we hold %u times reads owner %u count %u", m, c->held[m], ma.owner, ma.count);
}

/* Called once for each object a successful wait acquired. */
static void record_acquired(struct ctx *c, int h)
{
	struct tally *t = c->t;
	struct shared *sh = c->cl->sh;
	switch (kind_of(h)) {
	case K_SEM:
		if (c->fault_pending == F_LOST_WAKE) { /* pretend this wake never reached us */
			c->fault_pending = F_NONE;
			return;
		}
		t->sem_acq[h - H_SEM0]++;
		break;
	case K_MUTEX: {
		int m = h - H_MUT0;
		if (++c->held[m] == 1) {
			uint32_t expect = 0;
			if (!__atomic_compare_exchange_n(&sh->mutex_holder[m], &expect, c->tid, 0, __ATOMIC_SEQ_CST,
							 __ATOMIC_SEQ_CST))
				fail(c, "mutex %d granted to us while thread %u still holds it (double grant)", m, expect);
		}
		t->mut_acq[m]++;
		check_mutex_owned(c, m);
		break;
	}
	case K_AUTO:
		t->auto_acq[h - H_AUTO0]++;
		if (c->fault_pending == F_DOUBLE_WAKE) { /* pretend a second waiter got the same token */
			c->fault_pending = F_NONE;
			t->auto_acq[h - H_AUTO0]++;
		}
		break;
	case K_MANUAL:
		if (!manual_init(h - H_MAN0) && !__atomic_load_n(&sh->manual_sets[h - H_MAN0], __ATOMIC_SEQ_CST))
			fail(c, "woken by manual event %d, which nobody has set", h - H_MAN0);
		break;
	case K_PULSE_MAN:
	case K_PULSE_AUTO: {
		int which = kind_of(h) == K_PULSE_AUTO;
		t->pulse_acq[which]++;
		if (!__atomic_load_n(&sh->pulses_started[which], __ATOMIC_SEQ_CST))
			fail(c, "woken by the %s pulse-only event, which nobody has pulsed", which ? "auto" : "manual");
		break;
	}
	case K_START:
		break;
	case K_QUIT:
		if (!__atomic_load_n(&sh->quit_set, __ATOMIC_SEQ_CST)) fail(c, "woken by the quit event before the server set it");
		break;
	case K_ALERT:
		t->alert_acq[h - H_ALERT0]++;
		break;
	}
}

struct deadline {
	int kind;
	uint64_t timeout;
	uint32_t flags;
};

static struct deadline pick_deadline(struct ctx *c, uint32_t max_us)
{
	struct deadline d = { 0 };
	uint32_t r = rnd_below(&c->rng, 100);
	uint64_t rel = 100000ull + rnd_below(&c->rng, max_us) * 1000ull;
	if (r < 12) {
		d.kind = DL_POLL;
		d.timeout = 0;
	} else if (r < 22) {
		d.kind = DL_PAST;
		d.flags = r & 1 ? NTSYNC_WAIT_REALTIME : 0;
		d.timeout = now_ns(d.flags ? CLOCK_REALTIME : CLOCK_MONOTONIC) - 1000000;
	} else if (r < 61) {
		d.kind = DL_MONO;
		d.timeout = now_ns(CLOCK_MONOTONIC) + rel;
	} else {
		d.kind = DL_REAL;
		d.flags = NTSYNC_WAIT_REALTIME;
		d.timeout = now_ns(CLOCK_REALTIME) + rel;
	}
	return d;
}

static const struct deadline infinite = { DL_INFINITE, UINT64_MAX, 0 };

/*
 * One WAIT_ANY or WAIT_ALL on handles hs[0..n-1] (and our alert if use_alert), owner = our tid.
 * Returns the handle acquired for WAIT_ANY, ALERT_WAKE for an alert wake, GOT_ALL for a
 * WAIT_ALL that got everything, -1 on timeout or error. Everything is checked and tallied here.
 */
#define GOT_ALL 1000
#define ALERT_WAKE (-2)
static int wait_op(struct ctx *c, int all, const int *hs, uint32_t n, int use_alert, struct deadline d)
{
	struct tally *t = c->t;
	struct shared *sh = c->cl->sh;
	int fds[64];
	for (uint32_t i = 0; i < n; i++) fds[i] = c->cl->fds[hs[i]];
	struct wait_args a = { .timeout = d.timeout, .objs = (uint64_t)(uintptr_t)fds, .count = n,
			       .index = 0xdeadbeef, .flags = d.flags, .owner = c->tid,
			       .alert = use_alert ? (uint32_t)c->cl->fds[c->alert_h] : 0 };
	const char *name = all ? "WAIT_ALL" : "WAIT_ANY";

	t->ops[all ? OP_WAIT_ALL : OP_WAIT_ANY]++;
	t->deadline[d.kind]++;
	unsigned long sig0 = tls_sig_in_wait, restart0 = tls_restarts;
	tls_in_wait = 1;
	int r = ioctl(c->cl->dev, all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY, &a);
	int e = r < 0 ? errno : 0;
	tls_in_wait = 0;
	t->sig_in_wait += tls_sig_in_wait - sig0;
	t->restarts += tls_restarts - restart0;

	if (r == 0 || (r == -1 && e == EOWNERDEAD)) {
		uint32_t idx = a.index;
		int acquired[65], nacq = 0;
		int alert_wake = use_alert && idx == n;
		if (idx > n || (idx == n && !use_alert) || (all && idx != 0 && idx != n)) {
			fail(c, "%s of %u objects%s returned %s with index %u", name, n, use_alert ? " + alert" : "",
			     r ? "EOWNERDEAD" : "0", idx);
			return -1;
		}
		if (alert_wake) {
			for (uint32_t i = 0; i < n; i++)
				if (hs[i] == c->alert_h && !all)
					fail(c, "WAIT_ANY reported the alert index although the alert is also objs[%u]", i);
			acquired[nacq++] = c->alert_h;
		} else if (all) {
			for (uint32_t i = 0; i < n; i++) acquired[nacq++] = hs[i];
		} else {
			for (uint32_t i = 0; i < idx; i++)
				if (hs[i] == hs[idx])
					fail(c, "WAIT_ANY index %u is not the lowest position (%u) of its object", idx, i);
			acquired[nacq++] = hs[idx];
		}
		/* EOWNERDEAD if and only if one of the mutexes acquired had been killed. */
		int abandoned = 0;
		for (int i = 0; i < nacq; i++) {
			if (kind_of(acquired[i]) != K_MUTEX) continue;
			int m = acquired[i] - H_MUT0;
			if (__atomic_exchange_n(&sh->mutex_abandoned[m], 0, __ATOMIC_SEQ_CST)) {
				abandoned++;
				t->mut_od[m]++;
			}
		}
		if (e == EOWNERDEAD && !abandoned)
			fail(c, "%s returned EOWNERDEAD (index %u) but no mutex it acquired had been killed", name, idx);
		if (e != EOWNERDEAD && abandoned)
			fail(c, "%s acquired %d killed mutex(es) (index %u) but returned 0, not EOWNERDEAD", name, abandoned, idx);
		for (int i = 0; i < nacq; i++) record_acquired(c, acquired[i]);
		t->wait_ok[all][bucket_of(n)]++;
		if (e == EOWNERDEAD) {
			t->wait_ownerdead++;
			t->expected[EX_EOWNERDEAD]++;
		}
		if (alert_wake) {
			t->wait_alert++;
			return ALERT_WAKE;
		}
		return all ? GOT_ALL : hs[idx];
	}
	if (r == -1 && e == ETIMEDOUT) {
		t->wait_timeout[all][bucket_of(n)]++;
		t->expected[EX_ETIMEDOUT]++;
		if (a.index != 0xdeadbeef) fail(c, "%s timed out but wrote index %u", name, a.index);
		if (d.kind == DL_INFINITE) fail(c, "%s with an infinite timeout returned ETIMEDOUT", name);
		if (d.kind == DL_MONO || d.kind == DL_REAL) {
			uint64_t now = now_ns(d.flags ? CLOCK_REALTIME : CLOCK_MONOTONIC);
			if (now < d.timeout)
				fail(c, "%s timed out %llu us before its %s deadline", name,
				     (unsigned long long)(d.timeout - now) / 1000, dl_names[d.kind]);
			else if (now - d.timeout > t->max_late_ns)
				t->max_late_ns = now - d.timeout;
		}
		return -1;
	}
	fail(c, "%s of %u objects%s (%s deadline) failed: ret %d errno %d %s", name, n, use_alert ? " + alert" : "",
	     dl_names[d.kind], r, e, errno_name(e));
	return -1;
}

/* ---- the other operations */

static void unlock_one(struct ctx *c, int m)
{
	struct shared *sh = c->cl->sh;
	if (c->held[m] == 1) {
		/* Give up our claim first: once UNLOCK returns, another thread may already own it. */
		uint32_t expect = c->tid;
		if (!__atomic_compare_exchange_n(&sh->mutex_holder[m], &expect, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			fail(c, "mutex %d we hold is recorded as held by %u", m, expect);
	}
	struct mutex_args ma = { .owner = c->tid, .count = 0xdead };
	int r = ioctl(c->cl->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_UNLOCK, &ma);
	int e = errno;
	c->t->ops[OP_MUTEX_UNLOCK]++;
	if (r != 0) {
		fail(c, "MUTEX_UNLOCK of mutex %d held %u times: ret %d %s", m, c->held[m], r, errno_name(e));
		return;
	}
	if (ma.count != c->held[m]) fail(c, "MUTEX_UNLOCK of mutex %d held %u times returned previous count %u", m, c->held[m], ma.count);
	c->held[m]--;
	c->t->mut_unl[m]++;
}

static int held_levels(struct ctx *c)
{
	int n = 0;
	for (int m = 0; m < NMUT; m++) n += (int)c->held[m];
	return n;
}

static void unlock_random(struct ctx *c)
{
	int pick = (int)rnd_below(&c->rng, (uint32_t)held_levels(c));
	for (int m = 0; m < NMUT; m++) {
		if (pick < (int)c->held[m]) {
			unlock_one(c, m);
			return;
		}
		pick -= (int)c->held[m];
	}
}

static void sem_release_op(struct ctx *c)
{
	int s = (int)rnd_below(&c->rng, NSEM);
	uint32_t amount = rnd_below(&c->rng, 8) == 0 ? 0 : 1 + rnd_below(&c->rng, 2);
	uint32_t prev = amount;
	int r = ioctl(c->cl->fds[H_SEM0 + s], NTSYNC_IOC_SEM_RELEASE, &prev);
	int e = errno;
	c->t->ops[OP_SEM_RELEASE]++;
	if (r == 0) {
		if (prev + amount > sem_max(s)) fail(c, "SEM_RELEASE %u on semaphore %d (max %u) succeeded from count %u", amount, s, sem_max(s), prev);
		c->t->sem_rel[s] += amount;
	} else if (e == EOVERFLOW && amount > 0) {
		c->t->expected[EX_EOVERFLOW]++;
	} else {
		fail(c, "SEM_RELEASE %u on semaphore %d: ret %d %s", amount, s, r, errno_name(e));
	}
}

static uint32_t event_ioctl(struct ctx *c, int h, unsigned long cmd, enum op op, const char *what)
{
	uint32_t prev = 0xdead;
	int r = ioctl(c->cl->fds[h], cmd, &prev);
	int e = errno;
	c->t->ops[op]++;
	if (r != 0) {
		fail(c, "%s on handle %d: ret %d %s", what, h, r, errno_name(e));
		return 2;
	}
	if (prev > 1) fail(c, "%s on handle %d returned previous state %u", what, h, prev);
	return prev;
}

static void event_op(struct ctx *c)
{
	struct shared *sh = c->cl->sh;
	uint32_t r = rnd_below(&c->rng, 100);
	if (r < 40) {
		int e = (int)rnd_below(&c->rng, NAUTO);
		if (event_ioctl(c, H_AUTO0 + e, NTSYNC_IOC_EVENT_SET, OP_EVENT_SET, "EVENT_SET") == 0) c->t->auto_set0[e]++;
	} else if (r < 52) {
		int e = (int)rnd_below(&c->rng, NAUTO);
		if (event_ioctl(c, H_AUTO0 + e, NTSYNC_IOC_EVENT_RESET, OP_EVENT_RESET, "EVENT_RESET") == 1) c->t->auto_reset1[e]++;
	} else if (r < 68) {
		int e = (int)rnd_below(&c->rng, NMAN);
		__atomic_add_fetch(&sh->manual_sets[e], 1, __ATOMIC_SEQ_CST);
		event_ioctl(c, H_MAN0 + e, NTSYNC_IOC_EVENT_SET, OP_EVENT_SET, "EVENT_SET");
	} else if (r < 84) {
		int e = (int)rnd_below(&c->rng, NMAN);
		event_ioctl(c, H_MAN0 + e, NTSYNC_IOC_EVENT_RESET, OP_EVENT_RESET, "EVENT_RESET");
	} else {
		int which = r >= 92; /* 0 manual, 1 auto */
		__atomic_add_fetch(&sh->pulses_started[which], 1, __ATOMIC_SEQ_CST);
		uint32_t prev = event_ioctl(c, which ? H_PULSE_AUTO : H_PULSE_MAN, NTSYNC_IOC_EVENT_PULSE, OP_EVENT_PULSE, "EVENT_PULSE");
		if (prev == 1) fail(c, "EVENT_PULSE found the pulse-only %s event signaled", which ? "auto" : "manual");
		c->t->pulses[which]++;
	}
}

static void alert_op(struct ctx *c)
{
	int nalert = c->cl->nhandles - H_ALERT0;
	int a = (int)rnd_below(&c->rng, (uint32_t)nalert);
	if (event_ioctl(c, H_ALERT0 + a, NTSYNC_IOC_EVENT_SET, OP_EVENT_SET, "EVENT_SET(alert)") == 0) c->t->alert_set0[a]++;
}

static void read_op(struct ctx *c)
{
	uint32_t r = rnd_below(&c->rng, 3);
	if (r == 0) {
		int s = (int)rnd_below(&c->rng, NSEM);
		struct sem_args sa = { 0xdead, 0xdead };
		int ret = ioctl(c->cl->fds[H_SEM0 + s], NTSYNC_IOC_SEM_READ, &sa);
		int e = errno;
		c->t->ops[OP_SEM_READ]++;
		if (ret != 0) fail(c, "SEM_READ of semaphore %d: ret %d %s", s, ret, errno_name(e));
		else if (sa.max != sem_max(s) || sa.count > sa.max) fail(c, "SEM_READ of semaphore %d: count %u max %u (max should be %u)", s, sa.count, sa.max, sem_max(s));
	} else if (r == 1) {
		int m = (int)rnd_below(&c->rng, NMUT);
		if (c->held[m]) {
			check_mutex_owned(c, m);
			return;
		}
		struct mutex_args ma = { 0xdead, 0xdead };
		int ret = ioctl(c->cl->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_READ, &ma);
		int e = errno;
		c->t->ops[OP_MUTEX_READ]++;
		if (ret == 0) {
			if (ma.owner == c->tid || (ma.owner == 0) != (ma.count == 0))
				fail(c, "MUTEX_READ of mutex %d we do not hold: owner %u count %u", m, ma.owner, ma.count);
		} else if (ret == -1 && e == EOWNERDEAD) {
			c->t->expected[EX_EOWNERDEAD]++;
			c->t->read_ownerdead++;
			if (ma.owner != 0 || ma.count != 0) fail(c, "MUTEX_READ of abandoned mutex %d: owner %u count %u", m, ma.owner, ma.count);
		} else {
			fail(c, "MUTEX_READ of mutex %d: ret %d %s", m, ret, errno_name(e));
		}
	} else {
		int h = H_AUTO0 + (int)rnd_below(&c->rng, NAUTO + NMAN + 2);
		struct event_args ea = { 0xdead, 0xdead };
		int ret = ioctl(c->cl->fds[h], NTSYNC_IOC_EVENT_READ, &ea);
		int e = errno;
		enum kind k = kind_of(h);
		c->t->ops[OP_EVENT_READ]++;
		uint32_t manual = k == K_MANUAL || k == K_PULSE_MAN;
		if (ret != 0) fail(c, "EVENT_READ of handle %d: ret %d %s", h, ret, errno_name(e));
		else if (ea.manual != manual || ea.signaled > 1) fail(c, "EVENT_READ of handle %d: manual %u signaled %u", h, ea.manual, ea.signaled);
		else if ((k == K_PULSE_MAN || k == K_PULSE_AUTO) && ea.signaled) fail(c, "a pulse-only event reads signaled: PULSE is not atomic");
	}
}

static void expect_errno(struct ctx *c, const char *what, int r, int want, enum expected ex)
{
	int e = errno;
	if (r == -1 && e == want) c->t->expected[ex]++;
	else fail(c, "%s: expected %s, got ret %d %s", what, errno_name(want), r, r < 0 ? errno_name(e) : "");
}

/* Mistakes a real program makes now and then: each must fail cleanly and change nothing. */
static void probe_op(struct ctx *c)
{
	uint32_t r = rnd_below(&c->rng, 5);
	if (r == 0) {
		int m = (int)rnd_below(&c->rng, NMUT);
		if (c->held[m]) return;
		struct mutex_args ma = { .owner = c->tid };
		c->t->ops[OP_MUTEX_UNLOCK]++;
		expect_errno(c, "MUTEX_UNLOCK of a mutex we do not hold", ioctl(c->cl->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_UNLOCK, &ma), EPERM, EX_EPERM);
	} else if (r == 1) {
		int m = (int)rnd_below(&c->rng, NMUT);
		if (c->held[m]) return;
		uint32_t owner = c->tid;
		c->t->ops[OP_MUTEX_KILL]++;
		expect_errno(c, "MUTEX_KILL of a mutex we do not hold", ioctl(c->cl->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_KILL, &owner), EPERM, EX_EPERM);
	} else if (r == 2) {
		int h = (int)rnd_below(&c->rng, NSHARED);
		int fds[2] = { c->cl->fds[h], c->cl->fds[h] };
		struct wait_args a = { .timeout = 0, .objs = (uint64_t)(uintptr_t)fds, .count = 2, .index = 0xdeadbeef, .owner = c->tid };
		c->t->ops[OP_WAIT_ALL]++;
		expect_errno(c, "WAIT_ALL with a duplicate object", ioctl(c->cl->dev, NTSYNC_IOC_WAIT_ALL, &a), EINVAL, EX_EINVAL);
		if (a.index != 0xdeadbeef) fail(c, "a rejected WAIT_ALL wrote index %u", a.index);
	} else if (r == 3) {
		int s = (int)rnd_below(&c->rng, NSEM);
		uint32_t amount = 0xFFFFFFFFu;
		c->t->ops[OP_SEM_RELEASE]++;
		expect_errno(c, "SEM_RELEASE of 0xFFFFFFFF", ioctl(c->cl->fds[H_SEM0 + s], NTSYNC_IOC_SEM_RELEASE, &amount), EOVERFLOW, EX_EOVERFLOW);
	} else {
		int s = (int)rnd_below(&c->rng, NSEM);
		uint32_t prev;
		c->t->ops[OP_EVENT_SET]++;
		expect_errno(c, "EVENT_SET on a semaphore", ioctl(c->cl->fds[H_SEM0 + s], NTSYNC_IOC_EVENT_SET, &prev), EINVAL, EX_EINVAL);
	}
}

static int pick_distinct(struct ctx *c, int *out, int n, int lo, int hi_excl)
{
	int pool[NSHARED], np = 0;
	for (int h = lo; h < hi_excl; h++) pool[np++] = h;
	if (n > np) n = np;
	for (int i = 0; i < n; i++) {
		int j = i + (int)rnd_below(&c->rng, (uint32_t)(np - i));
		int tmp = pool[i];
		pool[i] = pool[j];
		pool[j] = tmp;
		out[i] = pool[i];
	}
	return n;
}

static void wait_any_op(struct ctx *c)
{
	int hs[64];
	uint32_t r = rnd_below(&c->rng, 100), n;
	if (r < 55) n = 1 + rnd_below(&c->rng, 4);
	else if (r < 80) n = 5 + rnd_below(&c->rng, 12);
	else if (r < 95) n = 17 + rnd_below(&c->rng, 47);
	else n = 64;
	if (n == 64 && rnd_below(&c->rng, 2)) {
		pick_distinct(c, hs, 64, 0, NSHARED); /* every shared object, the start gate included */
	} else if (rnd_below(&c->rng, 4) == 0) {
		for (uint32_t i = 0; i < n; i++) { /* with duplicates, which WAIT_ANY allows */
			int h = (int)rnd_below(&c->rng, NSHARED - 1);
			hs[i] = h == H_START ? H_QUIT : h;
		}
	} else {
		/* Not the start gate: it is always set and would satisfy every such wait at once. */
		int picked = pick_distinct(c, hs, (int)n, 0, H_START);
		if ((int)n > picked) hs[picked++] = H_QUIT;
		for (; picked < (int)n; picked++) hs[picked] = (int)rnd_below(&c->rng, H_START);
	}
	int use_alert = rnd_below(&c->rng, 100) < 40;
	if (use_alert && n < 64 && rnd_below(&c->rng, 10) == 0) hs[n++] = c->alert_h; /* alert also in objs */
	if (c->fault_pending == F_LOST_WAKE || c->fault_pending == F_DOUBLE_WAKE) {
		/* Aim the injected fault at a wait that will surely acquire what the fault needs. */
		n = 1;
		hs[0] = c->fault_pending == F_LOST_WAKE ? H_SEM0 + (int)rnd_below(&c->rng, NSEM) : H_AUTO0 + (int)rnd_below(&c->rng, NAUTO);
		use_alert = 0;
	}
	wait_op(c, 0, hs, n, use_alert, pick_deadline(c, n > 16 ? 1000 : 3000));
}

static void wait_all_op(struct ctx *c)
{
	int hs[64];
	uint32_t r = rnd_below(&c->rng, 100);
	int n;
	struct deadline d;
	if (r < 50) {
		n = pick_distinct(c, hs, 1 + (int)rnd_below(&c->rng, 3), 0, H_QUIT);
		d = pick_deadline(c, 3000);
	} else if (r < 80) {
		n = pick_distinct(c, hs, 4 + (int)rnd_below(&c->rng, NSEM - 3), H_SEM0, H_SEM0 + NSEM);
		d = pick_deadline(c, 2000);
	} else if (r < 96) {
		n = pick_distinct(c, hs, 4 + (int)rnd_below(&c->rng, 28), 0, H_QUIT);
		d = pick_deadline(c, 1000);
	} else {
		/* All 64, the unset quit gate included: can only time out (or be alerted). */
		n = pick_distinct(c, hs, 64, 0, NSHARED);
		d = pick_deadline(c, 500);
	}
	int use_alert = rnd_below(&c->rng, 100) < 30;
	wait_op(c, 1, hs, (uint32_t)n, use_alert, d);
}

/* ---- threads */

static void thread_register(struct ctx *c)
{
	struct client *cl = c->cl;
	c->tid = (uint32_t)syscall(SYS_gettid);
	c->conn = connect_server(cl->sockpath); /* each thread has its own line to the server */
	pthread_mutex_lock(&cl->lock);
	cl->tids[c->slot] = c->tid;
	cl->alive[c->slot] = 1;
	pthread_mutex_unlock(&cl->lock);
	struct msg m = { .op = REQ_THREAD_INIT, .a = (uint32_t)cl->proc, .b = (uint32_t)c->slot, .c = c->tid,
			 .d = c->is_doomed ? R_DOOMED : R_WORKER };
	request(c->conn, &m, NULL);
	if (m.a != (uint32_t)c->global) die("server registered thread %d as %u", c->global, m.a);
	c->t = &cl->sh->t[c->global];
	/* Everyone waits at the gate, so that no thread is created after one has died (tids are
	 * mutex owners and must not be reused during the run). */
	int h = H_START;
	int got = wait_op(c, 0, &h, 1, 0, infinite);
	if (got != H_START) fail(c, "the start wait returned %d", got);
}

static void thread_exit(struct ctx *c)
{
	struct client *cl = c->cl;
	pthread_mutex_lock(&cl->lock); /* no more signals for us after this */
	cl->alive[c->slot] = 0;
	cl->live--;
	pthread_mutex_unlock(&cl->lock);
	for (int m = 0; m < NMUT; m++) c->t->mut_held_at_exit[m] = c->held[m];
	c->t->sig_total = tls_sig_total;
	__atomic_store_n(&c->t->dead, 1, __ATOMIC_SEQ_CST);
	/* Closing our line is how the server learns that we died (and kills our mutexes). */
	close(c->conn);
}

static void *worker_main(void *arg)
{
	struct ctx *c = arg;
	thread_register(c);
	if ((c->cl->fault == F_LOST_WAKE || c->cl->fault == F_DOUBLE_WAKE) && c->global == 0) c->fault_pending = c->cl->fault;
	for (int i = 0; i < c->cl->iters; i++) {
		int levels = held_levels(c);
		if (levels > 0 && (levels > 3 || rnd_below(&c->rng, 3) == 0)) unlock_random(c);
		if (c->fault_pending && i >= c->cl->iters / 2) {
			wait_any_op(c); /* aimed at an object the fault needs, until one is acquired */
			continue;
		}
		uint32_t r = rnd_below(&c->rng, 100);
		if (r < 30) wait_any_op(c);
		else if (r < 44) wait_all_op(c);
		else if (r < 60) sem_release_op(c);
		else if (r < 74) event_op(c);
		else if (r < 80) alert_op(c);
		else if (r < 94) read_op(c);
		else probe_op(c);
	}
	while (held_levels(c)) unlock_random(c);
	if (c->cl->fault == F_HANG && c->global == 0) wait_op(c, 0, NULL, 0, 0, infinite); /* a wake that never comes */
	struct msg m = { .op = REQ_FINISHED };
	request(c->conn, &m, NULL);
	/* Like a Wine thread at exit: park until told to go, taking alerts as they come. */
	for (;;) {
		int h = H_QUIT;
		if (wait_op(c, 0, &h, 1, 1, infinite) != ALERT_WAKE) break;
	}
	c->t->finished = 1;
	thread_exit(c);
	return NULL;
}

/* Takes a few mutexes, with recursion, and dies holding them, like a thread killed by a crash. */
static void *doomed_main(void *arg)
{
	struct ctx *c = arg;
	thread_register(c);
	/* Spread the deaths out, sleeping in an alertable wait as a Wine thread does. */
	struct deadline d = { DL_MONO, now_ns(CLOCK_MONOTONIC) + (3 + 7 * (c->slot - c->cl->threads) + 3 * c->cl->proc) * 1000000ull, 0 };
	wait_op(c, 0, NULL, 0, 1, d);
	for (int k = 0; k < 3; k++) {
		int hs[4];
		if (rnd_below(&c->rng, 2)) {
			int n = 1 + (int)rnd_below(&c->rng, 4);
			for (int i = 0; i < n; i++) hs[i] = H_MUT0 + (int)rnd_below(&c->rng, NMUT);
			struct deadline dl = { DL_MONO, now_ns(CLOCK_MONOTONIC) + 15000000ull, 0 };
			wait_op(c, 0, hs, (uint32_t)n, 0, dl);
		} else {
			int n = pick_distinct(c, hs, 2, H_MUT0, H_MUT0 + NMUT);
			struct deadline dl = { DL_REAL, now_ns(CLOCK_REALTIME) + 15000000ull, NTSYNC_WAIT_REALTIME };
			wait_op(c, 1, hs, (uint32_t)n, 0, dl);
		}
	}
	for (int m = 0; m < NMUT; m++) {
		if (!c->held[m]) continue;
		/* The owner re-acquires its own mutex at once (recursion), even by a poll. */
		int h = H_MUT0 + m;
		struct deadline poll = { DL_POLL, 0, 0 };
		if (wait_op(c, 0, &h, 1, 0, poll) != h) fail(c, "recursive poll of mutex %d that we own failed", m);
		break;
	}
	/* Hold them a moment so that others queue up, in a wait on nothing that can only time out. */
	struct deadline hold = { DL_MONO, now_ns(CLOCK_MONOTONIC) + 5000000ull, 0 };
	if (wait_op(c, 0, NULL, 0, 0, hold) != -1) fail(c, "a WAIT_ANY on no objects succeeded");
	thread_exit(c);
	return NULL;
}

/* Sends SIGUSR1 to every live thread of the process, again and again, as Wine's
 * SuspendThread does; the handler has SA_RESTART, so no wait may return EINTR. */
static void *suspender_main(void *arg)
{
	struct client *cl = arg;
	uint64_t rng = cl->seed * 7919 + (uint64_t)cl->proc;
	uint64_t sent = 0;
	pid_t pid = getpid();
	for (;;) {
		pthread_mutex_lock(&cl->lock);
		int live = cl->live;
		for (int i = 0; i < cl->tpp; i++) {
			if (cl->alive[i] && syscall(SYS_tgkill, pid, cl->tids[i], SIGUSR1) == 0) sent++;
		}
		pthread_mutex_unlock(&cl->lock);
		if (live == 0) break;
		sleep_us(cl->signal_us / 2 + rnd_below(&rng, (uint32_t)cl->signal_us + 1));
	}
	cl->sh->signals_sent[cl->proc] = sent;
	return NULL;
}

static void client_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "wine-pattern: client: global alarm: a wait or a request is stuck (see the server's report)\n";
	write_all(2, msg, sizeof msg - 1);
	_exit(3);
}

static int client_main(int argc, char **argv)
{
	role_name = "client";
	if (argc != 4) die("usage: wine-pattern client SOCKET INDEX");
	struct client *cl = calloc(1, sizeof *cl);
	cl->sockpath = argv[2];
	cl->proc = atoi(argv[3]);
	pthread_mutex_init(&cl->lock, NULL);

	int conn = connect_server(cl->sockpath);
	struct msg m = { .op = REQ_HELLO, .a = (uint32_t)cl->proc, .b = (uint32_t)sizeof(struct shared) };
	request(conn, &m, NULL);
	if (m.b != sizeof(struct shared)) die("the server's shared layout is %u bytes, ours %u (32/64-bit mismatch)", m.b, (unsigned)sizeof(struct shared));
	cl->threads = (int)m.c;
	cl->doomed = (int)m.d;
	cl->iters = (int)m.e;
	cl->signal_us = (int)m.f;
	cl->fault = (enum fault)m.g;
	cl->seed = m.seed;
	cl->tpp = cl->threads + cl->doomed;
	cl->nhandles = (int)m.a;
	signal(SIGALRM, client_alarm);
	alarm((unsigned)atoi(getenv("WINE_PATTERN_ALARM") ? getenv("WINE_PATTERN_ALARM") : "60"));

	/* As ntdll does: ask for each fd once and keep it. */
	m = (struct msg){ .op = REQ_GET_DEVICE };
	request(conn, &m, &cl->dev);
	if (cl->dev < 0) die("the server sent no device fd");
	int shmfd;
	m = (struct msg){ .op = REQ_GET_SHM };
	request(conn, &m, &shmfd);
	if (shmfd < 0) die("the server sent no shared memory");
	cl->sh = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	if (cl->sh == MAP_FAILED) die("mmap shared: %s", strerror(errno));
	close(shmfd);
	for (int h = 0; h < cl->nhandles; h++) {
		m = (struct msg){ .op = REQ_GET_OBJ, .a = (uint32_t)h };
		request(conn, &m, &cl->fds[h]);
		if (cl->fds[h] < 0 || m.a != (uint32_t)h) die("no fd for handle %d", h);
		if (!(fcntl(cl->fds[h], F_GETFD) & FD_CLOEXEC)) die("received fd for handle %d is not close-on-exec", h);
	}

	struct sigaction sa = { .sa_sigaction = on_sigusr1 };
	sa.sa_flags = SA_SIGINFO | (cl->fault == F_NO_RESTART ? 0 : SA_RESTART);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	struct ctx ctxs[MAX_TPP];
	pthread_t th[MAX_TPP], susp;
	cl->live = cl->tpp;
	for (int i = 0; i < cl->tpp; i++) {
		struct ctx *c = &ctxs[i];
		*c = (struct ctx){ .cl = cl, .slot = i, .global = cl->proc * cl->tpp + i, .is_doomed = i >= cl->threads };
		c->alert_h = H_ALERT0 + c->global;
		c->rng = cl->seed * 1000003ull + (uint64_t)c->global * 7777ull + 1;
		/* ctxs[] lives on this stack until every thread has been joined below */
		if (pthread_create(&th[i], NULL, c->is_doomed ? doomed_main : worker_main, c)) die("pthread_create failed");
	}
	/* The suspender may only start signaling once the tids are known; it skips the rest. */
	pthread_create(&susp, NULL, suspender_main, cl);
	for (int i = 0; i < cl->tpp; i++) pthread_join(th[i], NULL);
	pthread_join(susp, NULL);
	int errors = 0;
	for (int i = 0; i < cl->tpp; i++) {
		struct tally *t = &cl->sh->t[cl->proc * cl->tpp + i];
		errors += t->errors != 0;
		__atomic_store_n(&t->exited, 1, __ATOMIC_SEQ_CST);
	}
	close(conn);
	return errors ? 1 : 0;
}

/* ================================================================ server */

struct conn {
	int fd;
	int kind; /* 0 process line, 1 thread line */
	int global;
	uint32_t tid;
};

struct server {
	struct options o;
	int report; /* write end of the pipe to main */
	int dev, shmfd;
	int fds[MAX_HANDLES];
	int nhandles, tpp, nthreads;
	struct shared *sh;
	struct conn conns[MAX_PROCS + MAX_THREADS + 4];
	int nconns;
	int registered, finished_workers, gone_threads, hello_procs, procs_gone, nworkers;
	uint64_t errors;
	char errmsg[8][240];
};

static struct server *S;

static void __attribute__((format(printf, 1, 2))) srv_fail(const char *fmt, ...)
{
	char buf[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (S->errors < 8) snprintf(S->errmsg[S->errors], sizeof S->errmsg[0], "%s", buf);
	if (S->errors < 8) fprintf(stderr, "wine-pattern: server: %s\n", buf);
	S->errors++;
}

static void __attribute__((format(printf, 1, 2))) report(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	write_all(S->report, buf, (size_t)n);
}

static int create(unsigned long cmd, uint32_t a, uint32_t b, const char *what)
{
	uint32_t args[2] = { a, b };
	int fd = ioctl(S->dev, cmd, args);
	if (fd < 0) {
		int e = errno;
		die("%s on %s (fd %d) failed: %s (%s)%s", what, S->o.device, S->dev, errno_name(e), strerror(e),
		    e == ENOTTY ? ": this is not an ntsync device (run under ntsync-run, with ntsyncd serving it)" : "");
	}
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) srv_fail("%s returned fd %d without close-on-exec", what, fd);
	return fd;
}

static void server_kill(int m, uint32_t owner, int expect_held)
{
	uint32_t o = owner;
	if (expect_held) __atomic_store_n(&S->sh->mutex_abandoned[m], 1, __ATOMIC_SEQ_CST); /* before: a waiter may get it inside KILL */
	int r = ioctl(S->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_KILL, &o);
	int e = errno;
	S->sh->server_ops[OP_MUTEX_KILL]++;
	if (expect_held) {
		if (r != 0) {
			__atomic_store_n(&S->sh->mutex_abandoned[m], 0, __ATOMIC_SEQ_CST);
			srv_fail("MUTEX_KILL of mutex %d held by dead thread %u: ret %d %s", m, owner, r, errno_name(e));
		} else {
			S->sh->kills_ok[m]++;
		}
	} else if (r == -1 && e == EPERM) {
		S->sh->server_expected[EX_EPERM]++;
	} else {
		srv_fail("MUTEX_KILL of mutex %d not held by exited thread %u: expected EPERM, got ret %d %s", m, owner, r, errno_name(e));
	}
}

/* What wineserver does when a thread's connection goes: abandon every mutex it owned. */
static void thread_gone(struct conn *cn)
{
	struct tally *t = &S->sh->t[cn->global];
	if (!__atomic_load_n(&t->dead, __ATOMIC_SEQ_CST))
		srv_fail("client %u thread %u (tid %u) disconnected without exiting (crashed?)", t->proc, t->slot, t->tid);
	if (t->role == R_WORKER && !t->finished) srv_fail("worker tid %u went away before finishing", t->tid);
	for (int m = 0; m < NMUT; m++) {
		uint32_t held = t->mut_held_at_exit[m];
		if (held) {
			uint32_t expect = cn->tid;
			if (!__atomic_compare_exchange_n(&S->sh->mutex_holder[m], &expect, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				srv_fail("dead thread %u held mutex %d, recorded as held by %u", cn->tid, m, expect);
			S->sh->killed_count[m] += held;
		}
		server_kill(m, cn->tid, held != 0);
	}
	S->gone_threads++;
	if (t->role == R_WORKER && !t->finished) S->finished_workers++; /* so the others can still quit */
}

static void maybe_quit(void)
{
	if (S->finished_workers != S->nworkers || __atomic_load_n(&S->sh->quit_set, __ATOMIC_SEQ_CST)) return;
	__atomic_store_n(&S->sh->quit_set, 1, __ATOMIC_SEQ_CST);
	uint32_t prev;
	if (ioctl(S->fds[H_QUIT], NTSYNC_IOC_EVENT_SET, &prev) != 0) srv_fail("EVENT_SET(quit): %s", errno_name(errno));
	S->sh->server_ops[OP_EVENT_SET]++;
}

static void handle_request(struct conn *cn, struct msg *m)
{
	struct msg reply = { .op = m->op };
	int fd = -1;
	switch (m->op) {
	case REQ_HELLO:
		S->hello_procs++;
		reply.a = (uint32_t)S->nhandles;
		reply.b = (uint32_t)sizeof(struct shared);
		reply.c = (uint32_t)S->o.threads;
		reply.d = (uint32_t)S->o.doomed;
		reply.e = (uint32_t)S->o.iters;
		reply.f = (uint32_t)S->o.signal_us;
		reply.g = (uint32_t)S->o.fault;
		reply.seed = S->o.seed;
		break;
	case REQ_GET_DEVICE: fd = S->dev; break;
	case REQ_GET_SHM: fd = S->shmfd; break;
	case REQ_GET_OBJ:
		if (m->a >= (uint32_t)S->nhandles) {
			srv_fail("request for handle %u", m->a);
			break;
		}
		reply.a = m->a;
		fd = S->fds[m->a];
		break;
	case REQ_THREAD_INIT: {
		int global = (int)(m->a * (uint32_t)S->tpp + m->b);
		if (m->a >= (uint32_t)S->o.procs || m->b >= (uint32_t)S->tpp) {
			srv_fail("bad thread registration %u/%u", m->a, m->b);
			break;
		}
		struct tally *t = &S->sh->t[global];
		if (t->registered) srv_fail("thread %d registered twice", global);
		t->registered = 1;
		t->role = m->d;
		t->proc = m->a;
		t->slot = m->b;
		t->tid = m->c;
		cn->kind = 1;
		cn->global = global;
		cn->tid = m->c;
		reply.a = (uint32_t)global;
		if (++S->registered == S->nthreads) {
			/* Everyone is here: the mutex "this server created owned" is released, and the gate opens. */
			struct mutex_args ma = { .owner = SERVER_OWNER };
			if (ioctl(S->fds[H_MUT0 + M_SERVER], NTSYNC_IOC_MUTEX_UNLOCK, &ma) != 0 || ma.count != 1)
				srv_fail("MUTEX_UNLOCK of the server's own mutex: %s, previous count %u", errno_name(errno), ma.count);
			S->sh->server_ops[OP_MUTEX_UNLOCK]++;
			uint32_t prev;
			if (ioctl(S->fds[H_START], NTSYNC_IOC_EVENT_SET, &prev) != 0) srv_fail("EVENT_SET(start): %s", errno_name(errno));
			S->sh->server_ops[OP_EVENT_SET]++;
		}
		break;
	}
	case REQ_FINISHED:
		if (cn->kind != 1) {
			srv_fail("FINISHED on a process line");
			break;
		}
		S->sh->t[cn->global].finished = 1;
		S->finished_workers++;
		break;
	default:
		srv_fail("unknown request %u", m->op);
	}
	if (send_msg(cn->fd, &reply, fd) < 0) srv_fail("reply to request %u: %s", m->op, strerror(errno));
	if (m->op == REQ_FINISHED) maybe_quit();
}

static uint64_t sum_tally(size_t offset)
{
	uint64_t s = 0;
	for (int i = 0; i < S->nthreads; i++) s += *(const u64 *)((const char *)&S->sh->t[i] + offset);
	return s;
}
#define SUM(field) sum_tally(offsetof(struct tally, field))

/* The final accounting; returns the number of broken invariants. */
static int check_invariants(void)
{
	struct shared *sh = S->sh;
	int broken = 0;
	int sem_ok = 0, mut_ok = 0, auto_ok = 0, alert_ok = 0;
	for (int s = 0; s < NSEM; s++) {
		struct sem_args sa;
		if (ioctl(S->fds[H_SEM0 + s], NTSYNC_IOC_SEM_READ, &sa) != 0) {
			srv_fail("final SEM_READ of semaphore %d: %s", s, errno_name(errno));
			broken++;
			continue;
		}
		uint64_t rel = SUM(sem_rel[s]), acq = SUM(sem_acq[s]);
		if ((int64_t)sem_init(s) + (int64_t)rel - (int64_t)acq != (int64_t)sa.count) {
			srv_fail("semaphore %d not conserved: initial %u + released %llu - acquired %llu != final %u (%+lld: %s)", s,
				 sem_init(s), (unsigned long long)rel, (unsigned long long)acq, sa.count,
				 (long long)sa.count - ((long long)sem_init(s) + (long long)rel - (long long)acq),
				 (long long)sa.count > (long long)sem_init(s) + (long long)rel - (long long)acq
					 ? "more units left than accounted for: a wake reported without taking one (doubled wake)"
					 : "units gone that no wait reported (lost wake)");
			broken++;
		} else {
			sem_ok++;
		}
	}
	for (int m = 0; m < NMUT; m++) {
		struct mutex_args ma = { 0xdead, 0xdead };
		int r = ioctl(S->fds[H_MUT0 + m], NTSYNC_IOC_MUTEX_READ, &ma);
		int e = errno;
		uint32_t pending = __atomic_load_n(&sh->mutex_abandoned[m], __ATOMIC_SEQ_CST);
		int ok = 1;
		if (pending ? !(r == -1 && e == EOWNERDEAD) : r != 0) {
			srv_fail("final MUTEX_READ of mutex %d: ret %d %s, expected %s", m, r, errno_name(e), pending ? "EOWNERDEAD (killed, never re-acquired)" : "0");
			ok = 0;
		}
		if (ma.owner != 0 || ma.count != 0) {
			srv_fail("mutex %d still owned at the end: owner %u count %u", m, ma.owner, ma.count);
			ok = 0;
		}
		uint64_t acq = SUM(mut_acq[m]) + mutex_init_count(m), unl = SUM(mut_unl[m]) + (m == M_SERVER);
		if (acq != unl + sh->killed_count[m]) {
			srv_fail("mutex %d: %llu acquisitions (initial count included) != %llu unlocks + %llu killed", m,
				 (unsigned long long)acq, (unsigned long long)unl, (unsigned long long)sh->killed_count[m]);
			ok = 0;
		}
		uint64_t od = SUM(mut_od[m]);
		if (od + pending != sh->kills_ok[m]) {
			srv_fail("mutex %d: killed %llu times, but %llu EOWNERDEAD acquisitions + %u still abandoned", m,
				 (unsigned long long)sh->kills_ok[m], (unsigned long long)od, pending);
			ok = 0;
		}
		if (sh->mutex_holder[m]) {
			srv_fail("mutex %d still recorded as held by %u", m, sh->mutex_holder[m]);
			ok = 0;
		}
		mut_ok += ok;
		broken += !ok;
	}
	for (int e = 0; e < NAUTO + 2 + S->nthreads; e++) {
		int h = e < NAUTO ? H_AUTO0 + e : e == NAUTO ? H_PULSE_MAN : e == NAUTO + 1 ? H_PULSE_AUTO : H_ALERT0 + e - NAUTO - 2;
		struct event_args ea;
		if (ioctl(S->fds[h], NTSYNC_IOC_EVENT_READ, &ea) != 0) {
			srv_fail("final EVENT_READ of handle %d: %s", h, errno_name(errno));
			broken++;
			continue;
		}
		if (e < NAUTO) {
			uint64_t in = auto_init(e) + SUM(auto_set0[e]), out = SUM(auto_acq[e]) + SUM(auto_reset1[e]) + ea.signaled;
			if (in != out) {
				srv_fail("auto event %d: initial %u + %llu sets that found it unsignaled != %llu acquisitions + %llu resets that found it signaled + final %u (%s)",
					 e, auto_init(e), (unsigned long long)SUM(auto_set0[e]), (unsigned long long)SUM(auto_acq[e]),
					 (unsigned long long)SUM(auto_reset1[e]), ea.signaled, in > out ? "a wake was lost" : "a wake was doubled");
				broken++;
			} else {
				auto_ok++;
			}
		} else if (e < NAUTO + 2) {
			int which = e == NAUTO + 1;
			if (ea.signaled) {
				srv_fail("the pulse-only %s event ends signaled", which ? "auto" : "manual");
				broken++;
			}
			if (which && SUM(pulse_acq[1]) > SUM(pulses[1])) {
				srv_fail("the pulse-only auto event woke %llu waiters for %llu pulses", (unsigned long long)SUM(pulse_acq[1]),
					 (unsigned long long)SUM(pulses[1]));
				broken++;
			}
		} else {
			int a = e - NAUTO - 2;
			uint64_t in = SUM(alert_set0[a]), out = SUM(alert_acq[a]) + ea.signaled;
			if (in != out) {
				srv_fail("alert of thread %d: %llu sets that found it unsignaled != %llu alert wakes + final %u (%s)", a,
					 (unsigned long long)in, (unsigned long long)SUM(alert_acq[a]), ea.signaled,
					 in > out ? "a wake was lost" : "a wake was doubled");
				broken++;
			} else {
				alert_ok++;
			}
		}
	}
	report("invariants: semaphores conserved %d/%d, mutexes balanced %d/%d, auto events balanced %d/%d, alerts balanced %d/%d",
	       sem_ok, NSEM, mut_ok, NMUT, auto_ok, NAUTO, alert_ok, S->nthreads);
	return broken;
}

static void summary(int broken)
{
	struct shared *sh = S->sh;
	char line[1024];
	int n = 0;
	uint64_t total = 0;
	for (int op = 0; op < OP_COUNT; op++) {
		uint64_t c = sum_tally(offsetof(struct tally, ops) + (size_t)op * sizeof(u64)) + sh->server_ops[op];
		total += c;
		n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", op_names[op], (unsigned long long)c);
	}
	report("ops: total=%llu%s (creates=%d)", (unsigned long long)total, line, S->nhandles);
	for (int all = 0; all < 2; all++) {
		n = 0;
		uint64_t ok = 0, to = 0;
		for (int b = 0; b < NBUCKET; b++) {
			uint64_t o = sum_tally(offsetof(struct tally, wait_ok) + (size_t)(all * NBUCKET + b) * sizeof(u64));
			uint64_t t = sum_tally(offsetof(struct tally, wait_timeout) + (size_t)(all * NBUCKET + b) * sizeof(u64));
			ok += o;
			to += t;
			n += snprintf(line + n, sizeof line - (size_t)n, " [%s]=%llu/%llu", bucket_names[b], (unsigned long long)o, (unsigned long long)t);
		}
		report("%s: satisfied=%llu timed_out=%llu; by width satisfied/timed out:%s", all ? "wait_all" : "wait_any",
		       (unsigned long long)ok, (unsigned long long)to, line);
	}
	n = 0;
	for (int d = 0; d < DL_COUNT; d++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", dl_names[d],
			      (unsigned long long)sum_tally(offsetof(struct tally, deadline) + (size_t)d * sizeof(u64)));
	uint64_t late = 0;
	for (int i = 0; i < S->nthreads; i++)
		if (sh->t[i].max_late_ns > late) late = sh->t[i].max_late_ns;
	report("deadlines:%s; latest timeout %.3f ms after its deadline", line, (double)late / 1e6);
	uint64_t sent = 0;
	for (int p = 0; p < S->o.procs; p++) sent += sh->signals_sent[p];
	char restarted[32] = "unknown";
	if (CAN_COUNT_RESTARTS) snprintf(restarted, sizeof restarted, "%llu", (unsigned long long)SUM(restarts));
	report("signals: SIGUSR1 sent=%llu handled=%llu (fewer: a pending signal absorbs the next) during waits=%llu, of which waits interrupted and restarted=%s",
	       (unsigned long long)sent, (unsigned long long)SUM(sig_total), (unsigned long long)SUM(sig_in_wait), restarted);
	uint64_t kills = 0, od = 0;
	for (int m = 0; m < NMUT; m++) {
		kills += sh->kills_ok[m];
		od += SUM(mut_od[m]);
	}
	report("mutexes: killed=%llu (by MUTEX_KILL: ghost_at_startup=1 dead_threads=%llu) eownerdead_waits=%llu (killed mutexes acquired=%llu) eownerdead_reads=%llu",
	       (unsigned long long)kills, (unsigned long long)(kills ? kills - 1 : 0), (unsigned long long)SUM(wait_ownerdead), (unsigned long long)od,
	       (unsigned long long)SUM(read_ownerdead));
	report("alerts: wakes=%llu", (unsigned long long)SUM(wait_alert));
	n = 0;
	for (int x = 0; x < EX_COUNT; x++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s=%llu", ex_names[x],
			      (unsigned long long)(sum_tally(offsetof(struct tally, expected) + (size_t)x * sizeof(u64)) + sh->server_expected[x]));
	report("expected errnos:%s", line);
	uint64_t thread_errors = SUM(errors);
	for (int i = 0; i < S->nthreads; i++)
		for (uint64_t k = 0; k < sh->t[i].errors && k < NERRMSG; k++)
			report("error: client %u thread %u (tid %u): %s", sh->t[i].proc, sh->t[i].slot, sh->t[i].tid, sh->t[i].errmsg[k]);
	for (uint64_t k = 0; k < S->errors && k < 8; k++) report("error: server: %s", S->errmsg[k]);
	report("errors: threads=%llu server=%llu broken invariants=%d", (unsigned long long)thread_errors, (unsigned long long)S->errors, broken);
	report("RESULT %s", thread_errors == 0 && S->errors == 0 && broken == 0 ? "PASS" : "FAIL");
}

static void server_main(struct options *o, const char *sockpath, int report_fd, const pid_t *ancestors, int nanc, pid_t middle)
{
	role_name = "server";
	static struct server srv;
	S = &srv;
	S->o = *o;
	S->report = report_fd;
	S->tpp = o->threads + o->doomed;
	S->nthreads = o->procs * S->tpp;
	S->nworkers = o->procs * o->threads;
	S->nhandles = NSHARED + S->nthreads;

	/* The middle process exits right after forking us; wait to be re-parented. */
	for (int i = 0; i < 1000 && getppid() == middle; i++) sleep_us(1000);
	pid_t parent = getppid();
	int subreaper = 0;
	for (int i = 0; i < nanc; i++) subreaper |= parent == ancestors[i];
	report("server: pid %d re-parented to pid %d (%s)", getpid(), parent,
	       subreaper ? "a subreaper above the program" : parent == 1 ? "init: no subreaper above the program" : "not an ancestor of the program");
	if (o->expect_subreaper && (!subreaper || parent == 1)) srv_fail("the daemonized server was not re-parented to a subreaper above the program (parent %d)", parent);

	/* As wineserver's get_inproc_device_fd(). */
	S->dev = open(o->device, O_CLOEXEC | O_RDONLY);
	if (S->dev < 0) {
		int e = errno;
		die("cannot open %s: %s (%s)%s", o->device, errno_name(e), strerror(e),
		    e == EPERM ? ": ntsyncd refuses processes that do not run under ntsync-run" : "");
	}
	struct stat st;
	fstat(S->dev, &st);
	S->shmfd = memfd_create("wine-pattern", MFD_CLOEXEC);
	if (S->shmfd < 0 || ftruncate(S->shmfd, sizeof(struct shared)) < 0) die("memfd: %s", strerror(errno));
	S->sh = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, S->shmfd, 0);
	if (S->sh == MAP_FAILED) die("mmap: %s", strerror(errno));
	S->sh->magic = SHM_MAGIC;
	S->sh->size = sizeof(struct shared);

	for (int s = 0; s < NSEM; s++) S->fds[H_SEM0 + s] = create(NTSYNC_IOC_CREATE_SEM, sem_init(s), sem_max(s), "NTSYNC_IOC_CREATE_SEM");
	for (int m = 0; m < NMUT; m++)
		S->fds[H_MUT0 + m] = create(NTSYNC_IOC_CREATE_MUTEX, m == M_GHOST ? GHOST_OWNER : m == M_SERVER ? SERVER_OWNER : 0,
					     mutex_init_count(m), "NTSYNC_IOC_CREATE_MUTEX");
	for (int e = 0; e < NAUTO; e++) S->fds[H_AUTO0 + e] = create(NTSYNC_IOC_CREATE_EVENT, 0, auto_init(e), "NTSYNC_IOC_CREATE_EVENT");
	for (int e = 0; e < NMAN; e++) S->fds[H_MAN0 + e] = create(NTSYNC_IOC_CREATE_EVENT, 1, manual_init(e), "NTSYNC_IOC_CREATE_EVENT");
	S->fds[H_PULSE_MAN] = create(NTSYNC_IOC_CREATE_EVENT, 1, 0, "NTSYNC_IOC_CREATE_EVENT");
	S->fds[H_PULSE_AUTO] = create(NTSYNC_IOC_CREATE_EVENT, 0, 0, "NTSYNC_IOC_CREATE_EVENT");
	S->fds[H_START] = create(NTSYNC_IOC_CREATE_EVENT, 1, 0, "NTSYNC_IOC_CREATE_EVENT");
	S->fds[H_QUIT] = create(NTSYNC_IOC_CREATE_EVENT, 1, 0, "NTSYNC_IOC_CREATE_EVENT");
	for (int a = 0; a < S->nthreads; a++) S->fds[H_ALERT0 + a] = create(NTSYNC_IOC_CREATE_EVENT, 0, 0, "NTSYNC_IOC_CREATE_EVENT");
	/* The thread that created the ghost mutex owned died before anyone came. */
	S->sh->killed_count[M_GHOST] = mutex_init_count(M_GHOST);
	server_kill(M_GHOST, GHOST_OWNER, 1);
	report("server: %d objects created through %s (%s): %d semaphores, %d mutexes, %d events, %d alerts", S->nhandles,
	       o->device, S_ISCHR(st.st_mode) ? "character device" : S_ISREG(st.st_mode) ? "regular file" : "other file", NSEM, NMUT,
	       NAUTO + NMAN + 4, S->nthreads);

	int ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sockpath);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 64) < 0) die("listen on %s: %s", sockpath, strerror(errno));
	report("ready");

	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)o->alarm_s * 1000000000ull;
	int expected_conns = o->procs + S->nthreads;
	int accepted = 0, closed = 0;
	while (accepted < expected_conns || closed < accepted) {
		struct pollfd pfd[MAX_PROCS + MAX_THREADS + 5];
		int np = 0;
		pfd[np++] = (struct pollfd){ .fd = ls, .events = POLLIN };
		for (int i = 0; i < S->nconns; i++) pfd[np++] = (struct pollfd){ .fd = S->conns[i].fd, .events = POLLIN };
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= deadline) {
			fprintf(stderr, "wine-pattern: server: global alarm after %d s: %d/%d threads registered, %d/%d workers finished, %d/%d threads gone, %d/%d process lines closed\n",
				o->alarm_s, S->registered, S->nthreads, S->finished_workers, S->nworkers, S->gone_threads, S->nthreads, S->procs_gone, o->procs);
			for (int i = 0; i < S->nthreads; i++) {
				struct tally *t = &S->sh->t[i];
				if (!t->dead)
					fprintf(stderr, "wine-pattern: server:   still alive: client %d thread %d tid %u (%s, %s)\n", i / S->tpp, i % S->tpp, t->tid,
						t->role == R_DOOMED ? "doomed" : "worker", !t->registered ? "never registered" : t->finished ? "finished, waiting for quit" : "working");
			}
			report("RESULT TIMEOUT");
			exit(3);
		}
		int r = poll(pfd, (nfds_t)np, (int)((deadline - now) / 1000000) + 1);
		if (r < 0 && errno != EINTR) die("poll: %s", strerror(errno));
		if (r <= 0) continue;
		if (pfd[0].revents & POLLIN) {
			int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				S->conns[S->nconns++] = (struct conn){ .fd = c, .global = -1 };
				accepted++;
			}
		}
		for (int i = 1; i < np; i++) {
			if (!pfd[i].revents) continue;
			struct conn *cn = &S->conns[i - 1];
			struct msg m;
			ssize_t n = recv_msg(cn->fd, &m, NULL);
			if (n == (ssize_t)sizeof m) {
				handle_request(cn, &m);
				continue;
			}
			if (n > 0) srv_fail("short request (%zd bytes)", n);
			if (cn->kind == 1) thread_gone(cn);
			else S->procs_gone++;
			close(cn->fd);
			cn->fd = -1;
			closed++;
			maybe_quit();
		}
		int k = 0;
		for (int i = 0; i < S->nconns; i++)
			if (S->conns[i].fd >= 0) S->conns[k++] = S->conns[i];
		S->nconns = k;
	}
	close(ls);
	unlink(sockpath);
	if (S->registered != S->nthreads) srv_fail("only %d of %d threads registered", S->registered, S->nthreads);
	for (int i = 0; i < S->nthreads; i++)
		if (!S->sh->t[i].exited) srv_fail("client %d thread %d did not report an orderly exit (client process crashed?)", i / S->tpp, i % S->tpp);
	int broken = check_invariants();
	summary(broken);
	exit(0);
}

/* ================================================================ main */

static pid_t clients[MAX_PROCS];
static int nclients;
static pid_t server_pid;

static void main_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "wine-pattern: main: global alarm: the run did not finish in time; killing it\n";
	write_all(2, msg, sizeof msg - 1);
	for (int i = 0; i < nclients; i++) kill(clients[i], SIGKILL);
	if (server_pid > 0) kill(server_pid, SIGKILL);
	_exit(3);
}

static int run_main(int argc, char **argv)
{
	struct options o;
	parse_options(argc, argv, &o);
	/* Object fds must never be 0: an alert of 0 means "no alert". */
	while (fcntl(0, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0)
		if (open("/dev/null", O_RDWR) < 0) break;

	/* Who may adopt the server: our ancestors, for the subreaper check. */
	pid_t anc[64];
	int nanc = 0;
	for (pid_t p = getppid(); p > 1 && nanc < 64;) {
		anc[nanc++] = p;
		char path[64], buf[512];
		snprintf(path, sizeof path, "/proc/%d/stat", p);
		FILE *f = fopen(path, "r");
		if (!f) break;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		char *rp = strrchr(buf, ')');
		int pp;
		if (!rp || sscanf(rp + 2, "%*c %d", &pp) != 1) break;
		p = pp;
	}

	char dir[] = "/tmp/wine-pattern.XXXXXX";
	if (!mkdtemp(dir)) die("mkdtemp: %s", strerror(errno));
	char sockpath[sizeof ((struct sockaddr_un *)0)->sun_path];
	snprintf(sockpath, sizeof sockpath, "%s/socket", dir);

	int rep[2];
	if (pipe2(rep, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
	signal(SIGALRM, main_alarm);
	alarm((unsigned)o.alarm_s + 6);
	char alarm_env[16];
	snprintf(alarm_env, sizeof alarm_env, "%d", o.alarm_s + 3);
	setenv("WINE_PATTERN_ALARM", alarm_env, 1);

	/* Double fork, as wineserver daemonizes. */
	fflush(NULL);
	pid_t middle = fork();
	if (middle < 0) die("fork: %s", strerror(errno));
	if (middle == 0) {
		setsid();
		pid_t self = getpid(); /* not getppid() in the child: we may be gone by then */
		pid_t s = fork();
		if (s < 0) _exit(2);
		if (s == 0) {
			close(rep[0]);
			server_main(&o, sockpath, rep[1], anc, nanc, self);
		}
		char line[32];
		int n = snprintf(line, sizeof line, "pid %d\n", s);
		write_all(rep[1], line, (size_t)n);
		_exit(0);
	}
	close(rep[1]);
	int st;
	waitpid(middle, &st, 0);

	/* Relay the server's report; start the clients when it is ready; and do not wait for a
	 * report that cannot come if a client died early (its threads would never register). */
	char buf[8192];
	size_t have = 0;
	int ready = 0, result = 0, pass = 0, timed_out = 0, eof = 0, clients_ok = 1, running = 0;
	int exited[MAX_PROCS] = { 0 };
	while (!eof || running) {
		struct pollfd pfd = { .fd = eof ? -1 : rep[0], .events = POLLIN };
		poll(&pfd, 1, 100);
		if (pfd.revents) {
			ssize_t n = read(rep[0], buf + have, sizeof buf - 1 - have);
			if (n <= 0) eof = 1;
			else have += (size_t)n;
		}
		char *nl;
		while ((nl = memchr(buf, '\n', have))) {
			*nl = 0;
			char *l = buf;
			if (!strncmp(l, "pid ", 4)) {
				server_pid = atoi(l + 4);
			} else {
				printf("%s\n", l);
				fflush(stdout);
			}
			if (!strcmp(l, "ready") && !ready) {
				ready = 1;
				for (int i = 0; i < o.procs; i++) {
					char idx[16];
					snprintf(idx, sizeof idx, "%d", i);
					const char *exe = o.client32 && (i & 1) ? o.client32 : "/proc/self/exe";
					pid_t p = fork();
					if (p < 0) die("fork: %s", strerror(errno));
					if (p == 0) {
						execl(exe, "wine-pattern", "client", sockpath, idx, (char *)NULL);
						fprintf(stderr, "wine-pattern: main: exec %s: %s\n", exe, strerror(errno));
						_exit(2);
					}
					clients[nclients++] = p;
					running++;
				}
			}
			if (!strncmp(l, "RESULT ", 7)) {
				result = 1;
				pass = !strcmp(l, "RESULT PASS");
				timed_out = !strcmp(l, "RESULT TIMEOUT");
			}
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof buf - 1) have = 0; /* a line too long to be ours: drop it */
		for (int i = 0; i < nclients; i++) {
			if (exited[i] || waitpid(clients[i], &st, WNOHANG) != clients[i]) continue;
			exited[i] = 1;
			running--;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) continue;
			clients_ok = 0;
			if (WIFSIGNALED(st)) fprintf(stderr, "wine-pattern: main: client %d killed by signal %d\n", i, WTERMSIG(st));
			else fprintf(stderr, "wine-pattern: main: client %d exited with status %d\n", i, WEXITSTATUS(st));
			if (!result && WIFEXITED(st) && WEXITSTATUS(st) == 2) {
				/* A set-up failure: nothing more will happen, so stop everything now. */
				for (int j = 0; j < nclients; j++) if (!exited[j]) kill(clients[j], SIGKILL);
				if (server_pid > 0) kill(server_pid, SIGKILL);
			}
		}
	}
	unlink(sockpath);
	rmdir(dir);
	if (!ready) {
		fprintf(stderr, "wine-pattern: main: the server failed before it was ready (its message is above)\n");
		return 2;
	}
	if (!result) {
		fprintf(stderr, "wine-pattern: main: the server exited without a result\n");
		return clients_ok ? 1 : 2;
	}
	if (timed_out) return 3;
	return pass && clients_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "client")) return client_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "run")) return run_main(argc, argv);
	usage();
}
