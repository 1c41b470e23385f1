/*
 * Runs one generated sequence and prints a trace line per operation. Every sequence starts
 * from nothing (two fresh device instances d0 and d1, no objects) and ends with a read of every
 * object still open and the close of everything, so sequences are independent of each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define PAGE 4096
#define SENTINEL 0xa5a5a5a5u

void fatal(const struct runtime *rt, const char *fmt, ...)
{
	va_list ap;
	printf("#%d FATAL ", rt->opno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(3);
}

int resolve(const struct runtime *rt, struct ref r)
{
	switch (r.type) {
	case REF_OBJ: return rt->obj[r.idx] >= 0 ? rt->obj[r.idx] : rt->closed_fd;
	case REF_DEV: return rt->dev[r.idx] >= 0 ? rt->dev[r.idx] : rt->closed_fd;
	case REF_CLOSED: return rt->closed_fd;
	case REF_NULL: return rt->null_fd;
	case REF_NEG: return -1;
	default: return 0; /* REF_NONE (no alert), REF_ZERO */
	}
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t timeout_value(const struct wait_spec *w)
{
	clockid_t clock = (w->flags & NTSYNC_WAIT_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	switch (w->timeout) {
	case TMO_ZERO: return 0;
	case TMO_ONE: return 1;
	case TMO_NOW: return now_ns(clock);
	case TMO_PAST: return now_ns(clock) - 1000000000ull;
	case TMO_INFINITE: return UINT64_MAX;
	case TMO_FAR: return now_ns(clock) + 1000ull * 1000000000ull;
	default: return now_ns(clock) + (uint64_t)w->short_ms * 1000000ull;
	}
}

void build_wait(const struct runtime *rt, const struct wait_spec *spec, struct ntsync_wait_args *args, int *objs)
{
	for (int i = 0; i < MAX_REFS; i++) objs[i] = i < spec->nrefs ? resolve(rt, spec->refs[i]) : rt->closed_fd;
	memset(args, 0, sizeof(*args));
	args->timeout = timeout_value(spec);
	args->objs = spec->objs_null ? 0 : (uint64_t)(uintptr_t)objs;
	args->count = spec->count;
	args->index = SENTINEL; /* must survive everything but a success */
	args->flags = spec->flags;
	args->owner = spec->owner;
	args->alert = (uint32_t)resolve(rt, spec->alert);
	args->pad = spec->pad;
}

/* Where an ioctl's argument lives for `mode`, filled with `size` bytes of `init`. */
static void *arg_ptr(struct runtime *rt, uint8_t mode, const void *init, size_t size)
{
	if (mode == ARG_NULL) return NULL;
	if (mode == ARG_RO) {
		if (mprotect(rt->ro_page, PAGE, PROT_READ | PROT_WRITE)) fatal(rt, "mprotect: %s", strerror(errno));
		memcpy(rt->ro_page, init, size);
		if (mprotect(rt->ro_page, PAGE, PROT_READ)) fatal(rt, "mprotect: %s", strerror(errno));
		return rt->ro_page;
	}
	memcpy(rt->buf, init, size);
	return rt->buf;
}

static const char *arg_name(uint8_t mode)
{
	return mode == ARG_NULL ? "NULL" : mode == ARG_RO ? "ro" : "ok";
}

static void do_ioctl(int fd, unsigned long cmd, void *p, long *ret, int *err)
{
	errno = 0;
	*ret = ioctl(fd, cmd, p);
	*err = *ret == -1 ? errno : 0;
}

static void op_create(struct runtime *rt, const struct op *op)
{
	static const char *const NAMES[] = { "create_sem", "create_mutex", "create_event" };
	static const unsigned long CMDS[] = { NTSYNC_IOC_CREATE_SEM, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_EVENT };
	static const uint8_t KINDS[] = { KIND_SEM, KIND_MUTEX, KIND_EVENT };
	int k = op->kind - OP_CREATE_SEM;
	uint32_t in[2] = { op->a, op->b };
	char b[16];
	long ret;
	int err;
	void *p = arg_ptr(rt, op->arg, in, sizeof(in));
	printf("%s %s {0x%x,0x%x} arg=%s", NAMES[k], ref_name(op->target, b), op->a, op->b, arg_name(op->arg));
	do_ioctl(resolve(rt, op->target), CMDS[k], p, &ret, &err);
	if (ret >= 0) {
		int flags = fcntl((int)ret, F_GETFD);
		rt->obj[op->dst] = (int)ret;
		rt->kind[op->dst] = KINDS[k];
		printf(" -> o%u cloexec=%d", op->dst, flags >= 0 && (flags & FD_CLOEXEC));
	} else {
		print_result(ret, err);
	}
	print_u32s("args", p, 2); /* input only: never written back */
}

/* The object ioctls: in/out through one small struct of n u32s. */
static void op_object(struct runtime *rt, const struct op *op)
{
	struct desc { const char *name; unsigned long cmd; int n; int has_in; };
	static const struct desc D[] = {
		[OP_SEM_RELEASE] = { "sem_release", NTSYNC_IOC_SEM_RELEASE, 1, 1 },
		[OP_MUTEX_UNLOCK] = { "mutex_unlock", NTSYNC_IOC_MUTEX_UNLOCK, 2, 1 },
		[OP_MUTEX_KILL] = { "mutex_kill", NTSYNC_IOC_MUTEX_KILL, 1, 1 },
		[OP_EVENT_SET] = { "event_set", NTSYNC_IOC_EVENT_SET, 1, 0 },
		[OP_EVENT_RESET] = { "event_reset", NTSYNC_IOC_EVENT_RESET, 1, 0 },
		[OP_EVENT_PULSE] = { "event_pulse", NTSYNC_IOC_EVENT_PULSE, 1, 0 },
		[OP_SEM_READ] = { "sem_read", NTSYNC_IOC_SEM_READ, 2, 0 },
		[OP_MUTEX_READ] = { "mutex_read", NTSYNC_IOC_MUTEX_READ, 2, 0 },
		[OP_EVENT_READ] = { "event_read", NTSYNC_IOC_EVENT_READ, 2, 0 },
	};
	const struct desc *d = &D[op->kind];
	/* Outputs start as a sentinel, so that a field written when it should not be shows. */
	uint32_t in[2] = { d->has_in ? op->a : SENTINEL, SENTINEL };
	char b[16];
	long ret;
	int err;
	void *p = arg_ptr(rt, op->arg, in, sizeof(in));
	printf("%s %s", d->name, ref_name(op->target, b));
	if (d->has_in) printf(" 0x%x", op->a);
	printf(" arg=%s", arg_name(op->arg));
	do_ioctl(resolve(rt, op->target), d->cmd, p, &ret, &err);
	print_result(ret, err);
	print_u32s("out", p, d->n);
}

/* One WAIT_ANY/WAIT_ALL as the op describes it, traced with `prefix` before its name. */
static void run_wait(struct runtime *rt, const struct op *op, const char *prefix)
{
	static int objs[MAX_REFS];
	struct ntsync_wait_args args;
	char b[16];
	long ret;
	int err;
	build_wait(rt, &op->wait, &args, objs);
	struct ntsync_wait_args *p = arg_ptr(rt, op->arg, &args, sizeof(args));
	printf("%s%s %s", prefix, op->all ? "wait_all" : "wait_any", ref_name(op->target, b));
	print_wait_spec(&op->wait);
	printf(" arg=%s", arg_name(op->arg));
	do_ioctl(resolve(rt, op->target), op->all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY, p, &ret, &err);
	print_result(ret, err);
	if (p) print_wait_out(p, &args);
}

static void op_poll(struct runtime *rt, const struct op *op)
{
	run_wait(rt, op, "");
}

static void op_other_ioctl(struct runtime *rt, const struct op *op)
{
	/* Big enough for any size the numbers encode; the driver must not touch it anyway. */
	uint32_t buf[4] = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
	char b[16];
	long ret;
	int err;
	printf("ioctl %s 0x%x", ref_name(op->target, b), op->cmd);
	int fd = resolve(rt, op->target);
	do_ioctl(fd, op->cmd, buf, &ret, &err);
	print_result(ret, err);
	printf(" buf={0x%x,0x%x,0x%x,0x%x}", buf[0], buf[1], buf[2], buf[3]);
	/* FIOCLEX/FIONCLEX/FIONBIO change the fd's flags: show them. */
	int fdflags = fcntl(fd, F_GETFD), flflags = fcntl(fd, F_GETFL);
	if (fdflags >= 0) printf(" cloexec=%d nonblock=%d", !!(fdflags & FD_CLOEXEC), !!(flflags & O_NONBLOCK));
}

static void op_close_obj(struct runtime *rt, const struct op *op)
{
	char b[16];
	int fd = resolve(rt, op->target);
	printf("close %s", ref_name(op->target, b));
	errno = 0;
	long ret = close(fd);
	print_result(ret, errno);
	if (op->target.type == REF_OBJ) rt->obj[op->target.idx] = -1;
}

static void op_dup(struct runtime *rt, const struct op *op)
{
	char b[16];
	printf("dup %s", ref_name(op->source, b));
	errno = 0;
	long ret = dup(resolve(rt, op->source));
	if (ret >= 0) {
		rt->obj[op->dst] = (int)ret;
		rt->kind[op->dst] = op->source.type == REF_OBJ ? rt->kind[op->source.idx] : KIND_NONE;
		printf(" -> o%u", op->dst);
	} else {
		print_result(ret, errno);
	}
}

static int open_device(const struct runtime *rt)
{
	return open(rt->device, O_RDONLY | O_CLOEXEC);
}

static void op_device(struct runtime *rt, const struct op *op)
{
	int d = op->target.idx;
	if (op->kind == OP_CLOSE_DEV) {
		printf("close d%d", d);
		errno = 0;
		long ret = close(rt->dev[d] >= 0 ? rt->dev[d] : rt->closed_fd);
		print_result(ret, errno);
		rt->dev[d] = -1;
		return;
	}
	/* A new instance; the old one's objects live on (they hold it), now foreign to d<n>. */
	printf("open d%d%s", d, rt->dev[d] >= 0 ? " (closing the open one first)" : "");
	if (rt->dev[d] >= 0) close(rt->dev[d]);
	errno = 0;
	rt->dev[d] = open_device(rt);
	if (rt->dev[d] >= 0) printf(" -> d%d", d);
	else print_result(-1, errno);
}

/*
 * A wait with a deadline a few ms away that really sleeps and expires. Reliable because the
 * main thread is the only one that changes anything: while it sleeps here no other operation
 * can run, so the wait either succeeds at once or times out, on any machine at any speed.
 */
static void op_timed_wait(struct runtime *rt, const struct op *op)
{
	run_wait(rt, op, "timed_");
}

const char *const KNOWN_NAMES[KNOWN_COUNT] = { "", "fionread", "wrongfd-efault" };

/* Which known divergence, if any, this operation would hit (decided from the operation and
 * which slots are open, so the same on both sides). */
static enum known known_divergence(const struct runtime *rt, const struct op *op)
{
	if (op->kind == OP_OTHER_IOCTL && op->cmd == 0x541b /* FIONREAD */) return KNOWN_FIONREAD;
	if (op->arg != ARG_NULL) return KNOWN_NONE;
	/* An ioctl with input, NULL argument, on an ntsync fd of the other class (device/object). */
	switch (op->kind) {
	case OP_SEM_RELEASE:
	case OP_MUTEX_UNLOCK:
	case OP_MUTEX_KILL:
		return op->target.type == REF_DEV && rt->dev[op->target.idx] >= 0 ? KNOWN_WRONG_FD_EFAULT : KNOWN_NONE;
	case OP_CREATE_SEM:
	case OP_CREATE_MUTEX:
	case OP_CREATE_EVENT:
	case OP_POLL:
	case OP_SPAWN:
	case OP_TIMED_WAIT:
		return op->target.type == REF_OBJ && rt->obj[op->target.idx] >= 0 ? KNOWN_WRONG_FD_EFAULT : KNOWN_NONE;
	default:
		return KNOWN_NONE;
	}
}

static void run_op(struct runtime *rt, const struct op *op)
{
	enum known known = known_divergence(rt, op);
	if (known != KNOWN_NONE && (rt->skip_known & (1u << known))) {
		printf("skipped (known divergence %s)\n", KNOWN_NAMES[known]);
		return;
	}
	switch (op->kind) {
	case OP_CREATE_SEM:
	case OP_CREATE_MUTEX:
	case OP_CREATE_EVENT: op_create(rt, op); break;
	case OP_POLL: op_poll(rt, op); break;
	case OP_OTHER_IOCTL: op_other_ioctl(rt, op); break;
	case OP_CLOSE_OBJ: op_close_obj(rt, op); break;
	case OP_DUP_OBJ: op_dup(rt, op); break;
	case OP_CLOSE_DEV:
	case OP_OPEN_DEV: op_device(rt, op); break;
	case OP_SPAWN: waiter_spawn(rt, op); break;
	case OP_TIMED_WAIT: op_timed_wait(rt, op); break;
	case OP_INTERRUPT:
	case OP_RESTART: waiter_signal(rt, op); break;
	default: op_object(rt, op);
	}
	printf("\n");
}

/* The state every object ends in: one read per open slot. */
static void final_reads(struct runtime *rt)
{
	for (int s = 0; s < MAX_OBJ_SLOTS; s++) {
		if (rt->obj[s] < 0 || rt->kind[s] == KIND_NONE) continue;
		uint32_t out[2] = { SENTINEL, SENTINEL };
		unsigned long cmd = rt->kind[s] == KIND_SEM ? NTSYNC_IOC_SEM_READ
			: rt->kind[s] == KIND_MUTEX ? NTSYNC_IOC_MUTEX_READ : NTSYNC_IOC_EVENT_READ;
		long ret;
		int err;
		do_ioctl(rt->obj[s], cmd, out, &ret, &err);
		printf("#final o%d %s", s, rt->kind[s] == KIND_SEM ? "sem" : rt->kind[s] == KIND_MUTEX ? "mutex" : "event");
		print_result(ret, err);
		print_u32s("out", out, 2);
		printf("\n");
	}
}

void run_sequence(struct runtime *rt, const struct sequence *seq, const uint8_t *mask)
{
	for (int d = 0; d < MAX_DEV_SLOTS; d++) {
		rt->dev[d] = open_device(rt);
		if (rt->dev[d] < 0) fatal(rt, "cannot open %s: %s", rt->device, strerror(errno));
	}
	for (int s = 0; s < MAX_OBJ_SLOTS; s++) {
		rt->obj[s] = -1;
		rt->kind[s] = KIND_NONE;
	}
	memset(rt->w, 0, sizeof(rt->w));

	for (int i = 0; i < seq->nops; i++) {
		if (mask && !mask[i]) continue;
		rt->opno = i;
		printf("#%d ", i);
		run_op(rt, &seq->ops[i]);
		if (waiters_any(rt)) waiters_settle(rt);
	}
	rt->opno = seq->nops;
	waiters_finish(rt);
	final_reads(rt);

	for (int s = 0; s < MAX_OBJ_SLOTS; s++)
		if (rt->obj[s] >= 0) close(rt->obj[s]);
	for (int d = 0; d < MAX_DEV_SLOTS; d++)
		if (rt->dev[d] >= 0) close(rt->dev[d]);
}
