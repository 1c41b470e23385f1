/*
 * The fuzz client's run-time state and the parts that share it: execute.c runs operations,
 * waiters.c owns the blocking waiter threads, trace.c formats the lines both print.
 */
#ifndef FUZZ_CLIENT_H
#define FUZZ_CLIENT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "ops.h"
#include "uapi.h"

enum obj_kind { KIND_NONE, KIND_SEM, KIND_MUTEX, KIND_EVENT };

struct waiter {
	int used;            /* spawned in this sequence */
	int reported;        /* its result has been printed */
	pthread_t thread;
	pid_t tid;           /* set by the thread before it calls the ioctl */
	int done;            /* set by the thread after the ioctl returned (atomic) */
	int signals;         /* signal handlers run in the thread (atomic) */
	int devfd;
	unsigned long cmd;
	struct ntsync_wait_args args; /* ARG_OK storage */
	struct ntsync_wait_args sent; /* what the ioctl was given, to show what it changed */
	struct ntsync_wait_args *argp;
	void *ro_page;       /* ARG_RO storage, mapped read-only before the call */
	int objs[MAX_REFS];
	long ret;
	int err;
};

struct runtime {
	const char *device;
	int dev[MAX_DEV_SLOTS];
	int obj[MAX_OBJ_SLOTS];
	uint8_t kind[MAX_OBJ_SLOTS];
	struct waiter w[MAX_WAITERS];
	int barrier_fd;      /* a device instance of our own, for barrier() only */
	int null_fd;         /* /dev/null: an open fd that is not ntsync */
	int closed_fd;       /* a number checked to be unused */
	void *buf;           /* ARG_OK storage for main-thread ioctls */
	void *ro_page;       /* ARG_RO storage for main-thread ioctls */
	int opno;            /* number of the op running, for the lines it prints */
	unsigned skip_known; /* known divergences not to run: bits of 1 << enum known */
};

/* Divergences of ntsyncd from the kernel that the fuzzer found and that are not fixed yet
 * (test/fuzz/driver/known-divergences.ts): --skip-known leaves such operations out. */
enum known { KNOWN_NONE, KNOWN_FIONREAD, KNOWN_WRONG_FD_EFAULT, KNOWN_COUNT };
extern const char *const KNOWN_NAMES[KNOWN_COUNT];

/* execute.c */
void run_sequence(struct runtime *rt, const struct sequence *seq, const uint8_t *mask);
int resolve(const struct runtime *rt, struct ref r);
void fatal(const struct runtime *rt, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
uint64_t timeout_value(const struct wait_spec *w);
/* The args of a wait as the ioctl gets them; objs points to an array of >= MAX_REFS ints. */
void build_wait(const struct runtime *rt, const struct wait_spec *spec, struct ntsync_wait_args *args, int *objs);

/* waiters.c */
void waiters_install_signal_handlers(void);
void waiter_spawn(struct runtime *rt, const struct op *op);
void waiter_signal(struct runtime *rt, const struct op *op);
/* Makes every waiter's state final and prints those that ended since the last call. */
void waiters_settle(struct runtime *rt);
/* Interrupts those still waiting, prints their results, joins every thread. */
void waiters_finish(struct runtime *rt);
int waiters_any(const struct runtime *rt);

/* trace.c */
const char *errno_name(int err);
const char *ref_name(struct ref r, char buf[16]);
const char *timeout_name(const struct wait_spec *w, char buf[16]);
/* " -> 0" or " -> -1 EINVAL" */
void print_result(long ret, int err);
void print_wait_spec(const struct wait_spec *w);
/* The wait args after the call: index always, the other fields only if they changed. */
void print_wait_out(const struct ntsync_wait_args *after, const struct ntsync_wait_args *before);
void print_u32s(const char *label, const void *p, int n);

#endif
