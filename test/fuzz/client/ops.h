/*
 * A fuzz sequence is a flat list of operations generated from a seed before anything runs.
 * Generation never looks at results, so a subset of the list (the --only-ops mask the
 * shrinker uses) replays the very same operations, each under its original number.
 *
 * Operations name objects and devices by slot ("o3", "d1"), never by fd number: fd numbers
 * differ between the kernel guest and ntsync-run, slots do not.
 */
#ifndef FUZZ_OPS_H
#define FUZZ_OPS_H

#include <stdint.h>

#define MAX_OPS 256
#define MAX_OBJ_SLOTS 20
#define MAX_DEV_SLOTS 2
#define MAX_WAITERS 8
#define MAX_REFS 64

/* What an fd argument refers to. */
enum ref_type {
	REF_NONE,   /* an alert of 0: no alert */
	REF_OBJ,    /* object slot idx (a closed slot becomes the closed fd) */
	REF_DEV,    /* device slot idx (ditto) */
	REF_CLOSED, /* an fd number that is not open */
	REF_NULL,   /* an open fd that is not ntsync (/dev/null) */
	REF_NEG,    /* -1 */
	REF_ZERO,   /* fd 0 (stdin, whatever it is: never an ntsync object) */
};

struct ref { uint8_t type, idx; };

enum op_kind {
	OP_CREATE_SEM,
	OP_CREATE_MUTEX,
	OP_CREATE_EVENT,
	OP_SEM_RELEASE,
	OP_MUTEX_UNLOCK,
	OP_MUTEX_KILL,
	OP_EVENT_SET,
	OP_EVENT_RESET,
	OP_EVENT_PULSE,
	OP_SEM_READ,
	OP_MUTEX_READ,
	OP_EVENT_READ,
	OP_POLL,        /* WAIT_ANY or WAIT_ALL from the main thread, deadline 0 or past */
	OP_OTHER_IOCTL, /* an unknown or generic (VFS) ioctl number */
	OP_CLOSE_OBJ,
	OP_DUP_OBJ,
	OP_CLOSE_DEV,
	OP_OPEN_DEV,
	OP_SPAWN,       /* a blocking wait in a new thread, queued before the next op runs */
	OP_TIMED_WAIT,  /* a wait from the main thread whose short deadline expires */
	OP_INTERRUPT,   /* a signal without SA_RESTART to a waiter: EINTR */
	OP_RESTART,     /* a signal with SA_RESTART: the wait starts again (at the queue tails) */
	OP_KIND_COUNT
};

/* How the ioctl's argument pointer is given. */
enum arg_mode {
	ARG_OK,   /* readable and writable */
	ARG_NULL, /* NULL: EFAULT wherever the ioctl touches it */
	ARG_RO,   /* a read-only page: copy-in works, copy-out faults */
};

/* Wait deadlines, turned into numbers at run time. */
enum timeout_kind {
	TMO_ZERO,     /* 0: a poll */
	TMO_ONE,      /* 1 ns: a poll */
	TMO_NOW,      /* the clock's now: a poll by the time the driver looks */
	TMO_PAST,     /* a second ago: a poll */
	TMO_INFINITE, /* U64_MAX */
	TMO_FAR,      /* 1000 s from now: never fires during a sequence */
	TMO_SHORT,    /* a few ms from now (OP_TIMED_WAIT only: nothing can wake it meanwhile) */
};

struct wait_spec {
	uint32_t count;     /* as passed; the objs array holds min(count, MAX_REFS) entries */
	uint32_t owner, flags, pad;
	uint8_t nrefs;      /* entries generated */
	uint8_t objs_null;  /* pass objs = NULL */
	uint8_t timeout;    /* enum timeout_kind */
	uint8_t short_ms;   /* TMO_SHORT's distance */
	struct ref alert;
	struct ref refs[MAX_REFS];
};

struct op {
	uint8_t kind;     /* enum op_kind */
	uint8_t arg;      /* enum arg_mode */
	uint8_t dst;      /* object slot a create or dup fills */
	uint8_t waiter;   /* waiter number for spawn/interrupt/restart */
	uint8_t all;      /* waits: WAIT_ALL rather than WAIT_ANY */
	struct ref target; /* the fd the ioctl is issued on (device or object) */
	struct ref source; /* dup's source */
	uint32_t a, b;     /* create args, release amount, owner */
	uint32_t cmd;      /* OP_OTHER_IOCTL's number */
	struct wait_spec wait;
};

struct sequence {
	uint64_t seed;
	int nops;
	int phase2_start; /* ops from here on may block in threads */
	struct op ops[MAX_OPS];
};

void generate(struct sequence *seq, uint64_t seed, int nops);

#endif
