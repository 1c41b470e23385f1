/* floor-fuse: the physical floor of a userspace ntsync device.
 *
 * A minimal FUSE daemon speaking the raw kernel protocol on /dev/fuse (no libfuse). It mounts a
 * filesystem holding one regular file, `floor`, and answers an ioctl on it as a no-op in exactly
 * one round trip: blocking read(), one write(), one thread. Whatever ntsyncd does on top of
 * that round trip is overhead; this program is what the benchmark divides by.
 *
 *   floor-fuse MOUNTDIR
 *
 * Prints "ready <pid>" on stdout once INIT has been answered. SIGTERM/SIGINT detach the mount
 * and exit (which aborts the connection: every pending request fails). Must run as root.
 *
 * Protocol facts (shared docs, DESIGN.md): INIT is answered 7.38, flags 0, max_write 4096 with
 * the full 64-byte fuse_init_out; reads need a buffer of at least 8192 bytes; one write() per
 * reply; header errors carry no payload; INTERRUPT/FORGET take no reply.
 *
 * The ioctl reply copies out_size bytes back (the in bytes echoed, zeros past them), so a client's
 * _IOWR 4-byte ioctl costs one round trip, as on ntsyncd. Two additions, described in
 * bench/clients/ntsync-abi.h, let the blocking cases (wake latency, ping-pong, timed waits) run on
 * the floor with the least possible work: per-open "objects" named by fh, and parked waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../clients/ntsync-abi.h"

#define FLOOR_INO 2
#define FLOOR_NAME "floor"
#define BUF_SIZE (64 * 1024)
#define MAX_PARKED 256
#define OBJ_SLOTS 65536 /* object state indexed by fh & 0xFFFF */

static int fuse_fd = -1;
static int timer_fd = -1; /* armed at the earliest parked deadline (absolute CLOCK_MONOTONIC) */
static const char *mount_dir;
static volatile sig_atomic_t stopping;

struct parked {
	uint64_t unique;
	uint32_t id;
	uint64_t deadline; /* CLOCK_MONOTONIC ns; UINT64_MAX = none */
	struct ntsync_wait_args args;
};
static struct parked parked[MAX_PARKED];
static int nparked;
static uint8_t signalled[OBJ_SLOTS];
static uint64_t next_fh = 1;

static void die(const char *what)
{
	fprintf(stderr, "floor-fuse: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	umount2(mount_dir, MNT_DETACH);
	_exit(0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One reply = one write(). A failing write is the caller's problem (interrupted, gone): ignore
 * ENOENT (unknown unique), report anything else. */
static void reply(uint64_t unique, int error, const void *payload, size_t len)
{
	struct fuse_out_header oh = { .len = (uint32_t)(sizeof oh + len), .error = error, .unique = unique };
	struct iovec iov[2] = { { &oh, sizeof oh }, { (void *)payload, len } };
	ssize_t n = writev(fuse_fd, iov, len ? 2 : 1);
	if (n < 0 && errno != ENOENT && errno != EINTR)
		fprintf(stderr, "floor-fuse: reply write: %s\n", strerror(errno));
}

static void reply_ioctl(uint64_t unique, int32_t result, const void *out, size_t out_len)
{
	unsigned char buf[sizeof(struct fuse_ioctl_out) + 4096];
	struct fuse_ioctl_out io = { .result = result };
	if (out_len > 4096)
		out_len = 4096;
	memcpy(buf, &io, sizeof io);
	if (out_len)
		memcpy(buf + sizeof io, out, out_len);
	reply(unique, 0, buf, sizeof io + out_len);
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof *a);
	a->ino = ino;
	a->nlink = 1;
	a->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0666;
	}
}

static void do_init(uint64_t unique, const struct fuse_init_in *in)
{
	struct fuse_init_out out;
	_Static_assert(sizeof out == 64, "the full 64-byte fuse_init_out");
	memset(&out, 0, sizeof out);
	out.major = FUSE_KERNEL_VERSION;
	out.minor = 38;
	out.max_readahead = in->max_readahead;
	out.flags = 0;
	out.max_background = 16;
	out.congestion_threshold = 12;
	out.max_write = 4096;
	out.time_gran = 1;
	reply(unique, 0, &out, sizeof out);
}

/* Answers a parked wait as satisfied: index 0 written, the rest of the args echoed. */
static void complete_parked(int i, int32_t result)
{
	struct parked p = parked[i];
	parked[i] = parked[--nparked];
	if (result == 0) {
		p.args.index = 0;
		reply_ioctl(p.unique, 0, &p.args, sizeof p.args);
	} else {
		reply_ioctl(p.unique, result, &p.args, sizeof p.args); /* index untouched */
	}
}

/* A signalling ioctl on object `id`: the oldest wait parked on it gets it, else it stays set. */
static void signal_object(uint32_t id)
{
	for (int i = 0; i < nparked; i++) { /* usually empty: a store is all the no-op cases pay */
		if (parked[i].id == id) {
			complete_parked(i, 0);
			return;
		}
	}
	signalled[id & (OBJ_SLOTS - 1)] = 1;
}

static void do_ioctl(const struct fuse_in_header *h, const struct fuse_ioctl_in *in, const unsigned char *data)
{
	static const unsigned char zeros[4096];
	uint32_t cmd = in->cmd;
	uint32_t in_size = in->in_size;

	if (cmd == FLOOR_IOC_ID) {
		uint64_t id = in->fh;
		reply_ioctl(h->unique, 0, &id, sizeof id);
		return;
	}
	if ((cmd == NTSYNC_IOC_WAIT_ANY || cmd == NTSYNC_IOC_WAIT_ALL) && in_size >= sizeof(struct ntsync_wait_args)) {
		struct ntsync_wait_args a;
		memcpy(&a, data, sizeof a);
		if ((a.owner & FLOOR_PARK_MASK) == FLOOR_PARK) {
			uint32_t id = a.owner & ~FLOOR_PARK_MASK;
			if (signalled[id]) {
				signalled[id] = 0;
				a.index = 0;
				reply_ioctl(h->unique, 0, &a, sizeof a);
			} else if (a.timeout != UINT64_MAX && a.timeout <= now_ns()) {
				reply_ioctl(h->unique, -ETIMEDOUT, &a, sizeof a);
			} else if (nparked == MAX_PARKED) {
				reply_ioctl(h->unique, -ENOMEM, &a, sizeof a);
			} else {
				struct parked *p = &parked[nparked++];
				p->unique = h->unique;
				p->id = id;
				p->deadline = a.timeout >= (1ull << 63) ? UINT64_MAX : a.timeout;
				p->args = a;
			}
			return;
		}
	} else if (((cmd >> 8) & 0xff) == NTSYNC_IOC_TYPE) {
		signal_object((uint32_t)in->fh & (OBJ_SLOTS - 1));
	}
	/* The no-op: echo the in bytes, zeros past them. */
	uint32_t out_size = in->out_size;
	if (out_size <= in_size)
		reply_ioctl(h->unique, 0, data, out_size);
	else if (in_size == 0)
		reply_ioctl(h->unique, 0, zeros, out_size);
	else {
		unsigned char tmp[4096];
		memcpy(tmp, data, in_size);
		memset(tmp + in_size, 0, out_size - in_size);
		reply_ioctl(h->unique, 0, tmp, out_size);
	}
}

static void handle(const unsigned char *buf, size_t len)
{
	const struct fuse_in_header *h = (const void *)buf;
	const unsigned char *arg = buf + sizeof *h;
	if (len < sizeof *h)
		return;

	switch (h->opcode) {
	case FUSE_INIT:
		do_init(h->unique, (const void *)arg);
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		break;
	case FUSE_LOOKUP: {
		const char *name = (const char *)arg;
		if (h->nodeid == FUSE_ROOT_ID && strcmp(name, FLOOR_NAME) == 0) {
			struct fuse_entry_out e;
			memset(&e, 0, sizeof e);
			e.nodeid = FLOOR_INO;
			e.generation = 1;
			e.entry_valid = 3600;
			e.attr_valid = 3600;
			fill_attr(&e.attr, FLOOR_INO);
			reply(h->unique, 0, &e, sizeof e);
		} else {
			reply(h->unique, -ENOENT, NULL, 0);
		}
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out a;
		memset(&a, 0, sizeof a);
		a.attr_valid = 3600;
		fill_attr(&a.attr, h->nodeid);
		reply(h->unique, 0, &a, sizeof a);
		break;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		struct fuse_open_out o;
		memset(&o, 0, sizeof o);
		o.fh = next_fh++;
		if (h->opcode == FUSE_OPEN)
			o.open_flags = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_NOFLUSH;
		signalled[o.fh & (OBJ_SLOTS - 1)] = 0;
		reply(h->unique, 0, &o, sizeof o);
		break;
	}
	case FUSE_READDIR:
		reply(h->unique, 0, NULL, 0); /* empty directory listing: end of stream */
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
		reply(h->unique, 0, NULL, 0);
		break;
	case FUSE_READ:
	case FUSE_WRITE:
		reply(h->unique, -EINVAL, NULL, 0);
		break;
	case FUSE_IOCTL: {
		const struct fuse_ioctl_in *in = (const void *)arg;
		do_ioctl(h, in, arg + sizeof *in);
		break;
	}
	case FUSE_INTERRUPT: {
		/* A parked wait whose caller got a signal: let it go with EINTR. Anything else has
		 * been answered already: ignore. Never answer ENOSYS here. */
		const struct fuse_interrupt_in *in = (const void *)arg;
		for (int i = 0; i < nparked; i++)
			if (parked[i].unique == in->unique) {
				complete_parked(i, -EINTR);
				break;
			}
		break;
	}
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
		break; /* no reply */
	case FUSE_DESTROY:
		reply(h->unique, 0, NULL, 0);
		break;
	default:
		reply(h->unique, -ENOSYS, NULL, 0);
		break;
	}
}

/* Times out the parked waits whose deadline has passed; returns the earliest deadline left
 * (UINT64_MAX: none). */
static uint64_t expire(void)
{
	uint64_t earliest = UINT64_MAX;
	uint64_t now = now_ns();
	for (int i = 0; i < nparked;) {
		if (parked[i].deadline <= now) {
			complete_parked(i, -ETIMEDOUT);
			continue;
		}
		if (parked[i].deadline < earliest)
			earliest = parked[i].deadline;
		i++;
	}
	return earliest;
}

/* An absolute timerfd rather than a ppoll timeout: poll/select add 0.1% of the timeout as slack
 * (a deadline 10 s away may fire 10 ms late); an absolute hrtimer on a timerfd fires on time. */
static void arm_timer(uint64_t deadline)
{
	static uint64_t armed = UINT64_MAX;
	if (deadline == armed)
		return;
	struct itimerspec its;
	memset(&its, 0, sizeof its);
	if (deadline != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(deadline / 1000000000ull);
		its.it_value.tv_nsec = (long)(deadline % 1000000000ull);
	}
	if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die("timerfd_settime");
	armed = deadline;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor-fuse MOUNTDIR\n");
		return 2;
	}
	mount_dir = argv[1];
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0)
		die("open /dev/fuse");
	char opts[128];
	snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
	if (mount("floor", mount_dir, "fuse.floor", MS_NOSUID | MS_NODEV, opts) < 0)
		die("mount");

	/* Timed waits: expire at the deadline, not up to 50 us (the default timer slack) after it. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer_fd < 0)
		die("timerfd_create");

	static unsigned char buf[BUF_SIZE];
	for (;;) {
		/* With no timed wait parked (every no-op case), just a blocking read. */
		uint64_t earliest = nparked ? expire() : UINT64_MAX;
		arm_timer(earliest);
		if (earliest != UINT64_MAX) {
			struct pollfd pfd[2] = { { .fd = fuse_fd, .events = POLLIN }, { .fd = timer_fd, .events = POLLIN } };
			if (poll(pfd, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				die("poll");
			}
			if (pfd[1].revents & POLLIN) {
				uint64_t ticks;
				if (read(timer_fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
					die("read timerfd");
			}
			if (!(pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
				continue; /* a deadline passed: expire() answers it */
		}
		ssize_t n = read(fuse_fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;
			if (errno == ENODEV)
				break; /* unmounted */
			die("read /dev/fuse");
		}
		handle(buf, (size_t)n);
	}
	return 0;
}
