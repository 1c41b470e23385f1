/*
 * Seed -> operation list. The generator keeps its own idea of which slots hold which kind of
 * object on which device, only to aim most operations at sensible targets; it never learns
 * what actually happened (a create it expected to work may fail, and then the slot reads as a
 * closed fd on both sides alike).
 *
 * Values come from small tables of edge cases: counts and maxima at 0, 1, 2**31-1, 2**32-2
 * and 2**32-1 (overflow and wrap), owners from a few ids (so unlock/kill by another owner,
 * recursion and shared-owner wake-ups happen often), a rare owner 0, bad flags, a non-zero
 * pad and counts of 64, 65 and 2**32-1.
 */
#include <string.h>

#include "ops.h"
#include "prng.h"
#include "uapi.h"

enum { K_SEM, K_MUTEX, K_EVENT };

struct gen {
	struct prng r;
	int nslots;
	uint8_t kind[MAX_OBJ_SLOTS];
	uint8_t inst[MAX_OBJ_SLOTS]; /* the device instance a slot's object belongs to */
	uint8_t live[MAX_OBJ_SLOTS];
	uint8_t hot[MAX_OBJ_SLOTS]; /* a blocking waiter waits on it */
	uint32_t holder[MAX_OBJ_SLOTS]; /* a mutex's owner at creation */
	uint8_t dev_open[MAX_DEV_SLOTS];
	uint8_t dev_inst[MAX_DEV_SLOTS]; /* the instance a device slot holds now */
	uint8_t ninst;
	int nwaiters;
	int phase2;
};

static const uint32_t SEM_COUNTS[] = { 0, 0, 1, 1, 2, 3, 0x7fffffff, 0xfffffffe, 0xffffffff };
static const uint32_t SEM_MAXES[] = { 0, 1, 1, 2, 2, 3, 5, 0x7fffffff, 0xfffffffe, 0xffffffff };
static const uint32_t MUTEX_COUNTS[] = { 1, 1, 1, 2, 3, 0xfffffffe, 0xffffffff };
static const uint32_t BOOLS[] = { 0, 0, 1, 1, 2, 0x80000000, 0xffffffff };
static const uint32_t AMOUNTS[] = { 0, 1, 1, 1, 1, 2, 2, 3, 0x7fffffff, 0xfffffffe, 0xffffffff };
static const uint32_t OWNERS[] = { 1, 1, 1, 2, 2, 3, 0xffffffff };
/* Unknown numbers in the driver's 'N' range, old layouts, and the VFS's generic ioctls
 * (which the VFS answers itself for the driver's files). */
static const uint32_t OTHER_CMDS[] = {
	_IO('N', 0x8e), _IO('N', 0x7f), _IOWR('N', 0x8f, __u64),
	_IOWR('N', 0x80, __u32[3]),                  /* 6.10's CREATE_SEM, 12 bytes */
	_IOW('N', 0x81, __u32),                      /* SEM_RELEASE with the wrong direction */
	_IOR('N', 0x82, struct ntsync_wait_args),    /* WAIT_ANY with the wrong direction */
	_IOW('N', 0x87, __u32),                      /* CREATE_EVENT with the wrong size */
	0x5451 /* FIOCLEX */, 0x5450 /* FIONCLEX */, 0x5421 /* FIONBIO */, 0x541B /* FIONREAD */,
};

static uint32_t owner(struct gen *g)
{
	if (prng_chance(&g->r, 4)) return 0;
	/* Blocking waiters and their signallers share two owners mostly, so that mutex hand-overs
	 * meet waiters of the same and of another owner in one queue. */
	if (g->phase2 && prng_chance(&g->r, 70)) return 1 + prng_below(&g->r, 2);
	return PRNG_PICK(&g->r, OWNERS);
}

static struct ref mkref(uint8_t type, uint8_t idx)
{
	struct ref r = { type, idx };
	return r;
}

/* A live slot, preferring `kind` (-1: any) and instance `inst` (-1: any); else a closed fd. */
static struct ref pick_slot(struct gen *g, int kind, int inst)
{
	int cand[MAX_OBJ_SLOTS], n = 0;
	for (int pass = 0; pass < 3 && n == 0; pass++) {
		for (int s = 0; s < g->nslots; s++) {
			if (!g->live[s]) continue;
			if (pass < 1 && kind >= 0 && g->kind[s] != kind) continue;
			if (pass < 2 && inst >= 0 && g->inst[s] != inst) continue;
			cand[n++] = s;
		}
	}
	if (n == 0) return mkref(REF_CLOSED, 0);
	return mkref(REF_OBJ, (uint8_t)cand[prng_below(&g->r, n)]);
}

/* Sets refs[i] to a live slot of instance `inst` that a waiter already waits on (not one of
 * refs[0..i-1] for a WAIT_ALL); false if there is none. */
static int usable_hot(struct gen *g, struct wait_spec *w, int i, int inst, int all)
{
	int cand[MAX_OBJ_SLOTS], n = 0;
	for (int s = 0; s < g->nslots; s++) {
		if (!g->hot[s] || !g->live[s] || g->inst[s] != inst) continue;
		int dup = 0;
		for (int j = 0; all && j < i; j++) dup |= w->refs[j].type == REF_OBJ && w->refs[j].idx == s;
		if (!dup) cand[n++] = s;
	}
	if (n == 0) return 0;
	w->refs[i] = mkref(REF_OBJ, (uint8_t)cand[prng_below(&g->r, n)]);
	return 1;
}

/* Any slot ever used, live or not (a closed slot reads as a closed fd). */
static struct ref any_slot(struct gen *g)
{
	if (g->nslots == 0) return mkref(REF_CLOSED, 0);
	return mkref(REF_OBJ, (uint8_t)prng_below(&g->r, g->nslots));
}

/* Something that is not an object of the right device: every way an fd can be wrong. */
static struct ref bad_ref(struct gen *g, int dev)
{
	switch (prng_below(&g->r, 7)) {
	case 0: return mkref(REF_CLOSED, 0);
	case 1: return mkref(REF_NULL, 0);
	case 2: return mkref(REF_NEG, 0);
	case 3: return mkref(REF_ZERO, 0);
	case 4: return mkref(REF_DEV, (uint8_t)prng_below(&g->r, MAX_DEV_SLOTS));
	case 5: return pick_slot(g, -1, g->dev_inst[1 - dev]); /* maybe another instance's object */
	default: return any_slot(g);
	}
}

/* The fd an object ioctl of `kind` is issued on. */
static struct ref object_target(struct gen *g, int kind)
{
	uint32_t p = prng_below(&g->r, 100);
	if (g->phase2 && p < 60) {
		/* Signal what the waiters wait on, or little would ever wake them. */
		int cand[MAX_OBJ_SLOTS], n = 0;
		for (int s = 0; s < g->nslots; s++)
			if (g->hot[s] && g->live[s] && g->kind[s] == kind) cand[n++] = s;
		if (n > 0) return mkref(REF_OBJ, (uint8_t)cand[prng_below(&g->r, n)]);
	}
	if (p < 84) return pick_slot(g, kind, -1);
	if (p < 92) return any_slot(g);
	switch (prng_below(&g->r, 4)) {
	case 0: return mkref(REF_DEV, (uint8_t)prng_below(&g->r, MAX_DEV_SLOTS));
	case 1: return mkref(REF_NULL, 0);
	case 2: return mkref(REF_CLOSED, 0);
	default: return mkref(REF_NEG, 0);
	}
}

/* The fd a device ioctl is issued on: mostly an open device. */
static struct ref device_target(struct gen *g, int *dev)
{
	*dev = (int)prng_below(&g->r, MAX_DEV_SLOTS);
	if (!g->dev_open[*dev] && prng_chance(&g->r, 90)) *dev = 1 - *dev;
	if (prng_chance(&g->r, 94)) return mkref(REF_DEV, (uint8_t)*dev);
	switch (prng_below(&g->r, 3)) {
	case 0: return any_slot(g);
	case 1: return mkref(REF_NULL, 0);
	default: return mkref(REF_CLOSED, 0);
	}
}

static enum arg_mode arg_mode(struct gen *g)
{
	uint32_t p = prng_below(&g->r, 100);
	return p < 94 ? ARG_OK : p < 97 ? ARG_NULL : ARG_RO;
}

static void gen_create(struct gen *g, struct op *op, int kind)
{
	int dev;
	op->kind = kind == K_SEM ? OP_CREATE_SEM : kind == K_MUTEX ? OP_CREATE_MUTEX : OP_CREATE_EVENT;
	op->target = device_target(g, &dev);
	op->arg = arg_mode(g);
	op->dst = (uint8_t)g->nslots;
	switch (kind) {
	case K_SEM:
		op->a = PRNG_PICK(&g->r, SEM_COUNTS);
		op->b = PRNG_PICK(&g->r, SEM_MAXES);
		/* Mostly valid (count <= max), so that there are semaphores to play with. */
		if (op->a > op->b && prng_chance(&g->r, 75)) { uint32_t t = op->a; op->a = op->b; op->b = t; }
		break;
	case K_MUTEX: {
		uint32_t p = prng_below(&g->r, 100);
		if (p < 45) { op->a = 0; op->b = 0; }
		else if (p < 88) { op->a = PRNG_PICK(&g->r, OWNERS); op->b = PRNG_PICK(&g->r, MUTEX_COUNTS); }
		else if (p < 94) { op->a = PRNG_PICK(&g->r, OWNERS); op->b = 0; }
		else { op->a = 0; op->b = PRNG_PICK(&g->r, MUTEX_COUNTS); }
		break;
	}
	default:
		op->a = PRNG_PICK(&g->r, BOOLS);
		op->b = PRNG_PICK(&g->r, BOOLS);
	}
	g->kind[g->nslots] = (uint8_t)kind;
	g->inst[g->nslots] = g->dev_inst[dev];
	g->holder[g->nslots] = kind == K_MUTEX ? op->a : 0;
	/* A guess, only to aim later operations at objects that probably exist. */
	g->live[g->nslots] = op->target.type == REF_DEV && g->dev_open[dev] && op->arg != ARG_NULL &&
		(kind == K_SEM ? op->a <= op->b : kind == K_MUTEX ? !op->a == !op->b : 1);
	g->nslots++;
}

static void gen_wait(struct gen *g, struct op *op, int all, int blocking)
{
	struct wait_spec *w = &op->wait;
	int dev;
	op->kind = OP_POLL;
	op->all = (uint8_t)all;
	op->target = device_target(g, &dev);
	/* Mostly on the device whose objects exist: a wait on objects of another instance fails. */
	if (op->target.type == REF_DEV && prng_chance(&g->r, 85)) {
		int have[MAX_DEV_SLOTS] = { 0 };
		for (int s = 0; s < g->nslots; s++)
			for (int d = 0; d < MAX_DEV_SLOTS; d++)
				have[d] += g->live[s] && g->dev_open[d] && g->inst[s] == g->dev_inst[d];
		if (have[1 - dev] > have[dev]) op->target.idx = (uint8_t)(dev = 1 - dev);
	}
	int inst = g->dev_inst[dev];
	op->arg = arg_mode(g);

	/* The live objects of that instance: WAIT_ALL takes distinct ones while there are any
	 * (duplicates are EINVAL there, so they are made rare on purpose). */
	int cand[MAX_OBJ_SLOTS], ncand = 0;
	for (int s = 0; s < g->nslots; s++)
		if (g->live[s] && g->inst[s] == inst) cand[ncand++] = s;
	uint32_t bad_pct = blocking ? 2 : 6;

	uint32_t p = prng_below(&g->r, 100);
	if (p < 6) w->count = 0;
	else if (p < 96) w->count = 1 + prng_below(&g->r, blocking ? 4 : 8);
	else if (p < 98) w->count = blocking || all ? 2 : 64;
	else w->count = prng_chance(&g->r, 60) ? 65 : 0xffffffff;
	if (all && w->count <= 8 && (int)w->count > ncand && ncand > 0 && prng_chance(&g->r, 85))
		w->count = (uint32_t)ncand;
	w->nrefs = (uint8_t)(w->count > MAX_REFS ? MAX_REFS : w->count);
	for (int i = 0; i < w->nrefs; i++) {
		uint32_t q = prng_below(&g->r, 100);
		if (i > 0 && q < (all ? 2 : 12)) {
			w->refs[i] = w->refs[prng_below(&g->r, i)]; /* a duplicate */
		} else if (q >= 100 - bad_pct && w->count != 64) {
			w->refs[i] = bad_ref(g, dev);
		} else if (blocking && prng_chance(&g->r, 50) && usable_hot(g, w, i, inst, all)) {
			/* Piled onto an object others already wait on: queue order matters. */
		} else if (all && ncand > 0) {
			int k = (int)prng_below(&g->r, ncand); /* without replacement while it lasts */
			w->refs[i] = mkref(REF_OBJ, (uint8_t)cand[k]);
			if (ncand > 1) cand[k] = cand[--ncand];
		} else {
			w->refs[i] = pick_slot(g, -1, inst);
		}
	}
	p = prng_below(&g->r, 100);
	if (p < 62) w->alert = mkref(REF_NONE, 0);
	else if (p < 84) w->alert = pick_slot(g, K_EVENT, inst);
	else if (p < 92) w->alert = pick_slot(g, -1, inst);
	else if (p < 100 - bad_pct / 2 && w->nrefs > 0) w->alert = w->refs[prng_below(&g->r, w->nrefs)];
	else w->alert = bad_ref(g, dev);
	/* An alert among a WAIT_ALL's objects is EINVAL: keep that, but rare. */
	if (all && w->alert.type == REF_OBJ && prng_chance(&g->r, 85))
		for (int i = 0; i < w->nrefs; i++)
			if (w->refs[i].type == REF_OBJ && w->refs[i].idx == w->alert.idx) w->alert = mkref(REF_NONE, 0);

	w->owner = owner(g);
	p = prng_below(&g->r, 100);
	w->flags = p < 80 ? 0 : p < 100 - bad_pct / 2 ? NTSYNC_WAIT_REALTIME : p & 1 ? 2 : 0x80000001;
	w->pad = prng_chance(&g->r, bad_pct / 2) ? 1 : 0;
	w->objs_null = w->count > 0 && prng_chance(&g->r, bad_pct / 2);
	if (blocking) {
		w->timeout = prng_chance(&g->r, 60) ? TMO_INFINITE : TMO_FAR;
	} else {
		static const uint8_t POLLS[] = { TMO_ZERO, TMO_ONE, TMO_NOW, TMO_NOW, TMO_PAST };
		w->timeout = PRNG_PICK(&g->r, POLLS);
	}
}

static int have_kind(const struct gen *g, int kind)
{
	for (int s = 0; s < g->nslots; s++)
		if (g->live[s] && g->kind[s] == kind) return 1;
	return 0;
}

/* One operation of the single-threaded mix (phase 1, and the signalling ops of phase 2). */
static void gen_plain(struct gen *g, struct op *op)
{
	for (;;) {
		uint32_t p = prng_below(&g->r, 100);
		/* An object operation with no object of its kind around mostly tests EINVAL: usually
		 * pick another operation. */
		if (p >= 39 && p < 87) {
			int kind = p < 49 ? K_SEM : p < 61 ? K_MUTEX : p < 75 ? K_EVENT : p < 79 ? K_SEM : p < 83 ? K_MUTEX : K_EVENT;
			if (!have_kind(g, kind) && prng_chance(&g->r, 80)) continue;
		}
		int room = g->nslots < MAX_OBJ_SLOTS;
		int nlive = 0;
		for (int s = 0; s < g->nslots; s++) nlive += g->live[s];
		/* Objects first: operations on nothing only test EBADF. */
		if (nlive < 3 && room && prng_chance(&g->r, 60)) p = prng_below(&g->r, 21);
		/* Phase 2 wants signalling more than creating or polling. */
		else if (g->phase2 && p < 30) p = 40 + prng_below(&g->r, 40);
		if (p < 7) { if (!room) continue; gen_create(g, op, K_SEM); }
		else if (p < 14) { if (!room) continue; gen_create(g, op, K_MUTEX); }
		else if (p < 21) { if (!room) continue; gen_create(g, op, K_EVENT); }
		else if (p < 31) gen_wait(g, op, 0, 0);
		else if (p < 39) gen_wait(g, op, 1, 0);
		else if (p < 49) { op->kind = OP_SEM_RELEASE; op->target = object_target(g, K_SEM); op->a = PRNG_PICK(&g->r, AMOUNTS); op->arg = arg_mode(g); }
		else if (p < 61) {
			op->kind = p < 57 ? OP_MUTEX_UNLOCK : OP_MUTEX_KILL;
			op->target = object_target(g, K_MUTEX);
			op->a = owner(g);
			/* Often its holder, or the mutex would seldom change hands. */
			if (op->target.type == REF_OBJ && g->holder[op->target.idx] && prng_chance(&g->r, 40)) op->a = g->holder[op->target.idx];
			op->arg = arg_mode(g);
		}
		else if (p < 66) { op->kind = OP_EVENT_SET; op->target = object_target(g, K_EVENT); op->arg = arg_mode(g); }
		else if (p < 70) { op->kind = OP_EVENT_RESET; op->target = object_target(g, K_EVENT); op->arg = arg_mode(g); }
		else if (p < 75) { op->kind = OP_EVENT_PULSE; op->target = object_target(g, K_EVENT); op->arg = arg_mode(g); }
		else if (p < 79) { op->kind = OP_SEM_READ; op->target = object_target(g, K_SEM); op->arg = arg_mode(g); }
		else if (p < 83) { op->kind = OP_MUTEX_READ; op->target = object_target(g, K_MUTEX); op->arg = arg_mode(g); }
		else if (p < 87) { op->kind = OP_EVENT_READ; op->target = object_target(g, K_EVENT); op->arg = arg_mode(g); }
		else if (p < 89) {
			op->kind = OP_OTHER_IOCTL;
			op->cmd = PRNG_PICK(&g->r, OTHER_CMDS);
			op->target = prng_chance(&g->r, 70) ? any_slot(g) : mkref(REF_DEV, (uint8_t)prng_below(&g->r, MAX_DEV_SLOTS));
		}
		else if (p < 93) {
			op->kind = OP_CLOSE_OBJ;
			op->target = pick_slot(g, -1, -1);
			if (op->target.type == REF_OBJ) g->live[op->target.idx] = 0;
		}
		else if (p < 96) {
			if (!room) continue;
			op->kind = OP_DUP_OBJ;
			op->source = any_slot(g);
			op->dst = (uint8_t)g->nslots;
			if (op->source.type == REF_OBJ) {
				g->kind[g->nslots] = g->kind[op->source.idx];
				g->inst[g->nslots] = g->inst[op->source.idx];
				g->live[g->nslots] = g->live[op->source.idx];
			}
			g->nslots++;
		}
		else {
			/* Rare: a reopened device makes every object of the old instance foreign to it. */
			if (prng_chance(&g->r, g->phase2 ? 85 : 60)) continue;
			int d = (int)prng_below(&g->r, MAX_DEV_SLOTS);
			op->kind = g->dev_open[d] && p < 97 ? OP_CLOSE_DEV : OP_OPEN_DEV;
			op->target = mkref(REF_DEV, (uint8_t)d);
			g->dev_open[d] = op->kind == OP_OPEN_DEV;
			if (op->kind == OP_OPEN_DEV) g->dev_inst[d] = g->ninst++;
		}
		return;
	}
}

static void gen_phase2(struct gen *g, struct op *op)
{
	uint32_t p = prng_below(&g->r, 100);
	if (p < 24 && g->nwaiters < MAX_WAITERS) {
		gen_wait(g, op, prng_chance(&g->r, 35), 1);
		op->kind = OP_SPAWN;
		op->waiter = (uint8_t)g->nwaiters++;
		for (int i = 0; i < op->wait.nrefs; i++)
			if (op->wait.refs[i].type == REF_OBJ) g->hot[op->wait.refs[i].idx] = 1;
		if (op->wait.alert.type == REF_OBJ) g->hot[op->wait.alert.idx] = 1;
	} else if (p < 32 && g->nwaiters > 0) {
		op->kind = prng_chance(&g->r, 65) ? OP_INTERRUPT : OP_RESTART;
		op->waiter = (uint8_t)prng_below(&g->r, g->nwaiters);
	} else if (p < 35) {
		gen_wait(g, op, prng_chance(&g->r, 40), 0);
		op->kind = OP_TIMED_WAIT;
		op->wait.timeout = TMO_SHORT;
		op->wait.short_ms = (uint8_t)(1 + prng_below(&g->r, 10));
	} else {
		gen_plain(g, op);
	}
}

/*
 * Phase 2 often opens with an object made to be fought over: a mutex held by owner 3 while
 * the waiters are mostly owners 1 and 2 (a hand-over can then skip a waiter of the other
 * owner and still grant a later one of the same owner), an empty semaphore or an unsignaled
 * auto-reset event. Spawned waits pile onto it.
 */
static void contended_object(struct gen *g, struct op *op)
{
	int kind = (int)prng_below(&g->r, 3);
	gen_create(g, op, kind);
	op->arg = ARG_OK;
	/* On the open device with the most objects, which the waits will mostly use. */
	int have[MAX_DEV_SLOTS] = { 0 }, d = 0;
	for (int s = 0; s < g->nslots; s++)
		for (int e = 0; e < MAX_DEV_SLOTS; e++) have[e] += g->live[s] && g->inst[s] == g->dev_inst[e];
	for (int e = 1; e < MAX_DEV_SLOTS; e++)
		if (g->dev_open[e] && (!g->dev_open[d] || have[e] > have[d])) d = e;
	op->target = mkref(REF_DEV, (uint8_t)d);
	switch (kind) {
	case K_SEM: op->a = 0; op->b = 1 + prng_below(&g->r, 3); break;
	case K_MUTEX: op->a = 3; op->b = 1 + prng_below(&g->r, 2); break;
	default: op->a = 0; op->b = 0;
	}
	int s = op->dst;
	g->inst[s] = g->dev_inst[d];
	g->holder[s] = kind == K_MUTEX ? op->a : 0;
	g->live[s] = g->dev_open[d];
	g->hot[s] = 1;
}

void generate(struct sequence *seq, uint64_t seed, int nops)
{
	struct gen g;
	memset(&g, 0, sizeof(g));
	memset(seq, 0, sizeof(*seq));
	prng_seed(&g.r, seed);
	for (int d = 0; d < MAX_DEV_SLOTS; d++) {
		g.dev_open[d] = 1;
		g.dev_inst[d] = g.ninst++;
	}
	if (nops > MAX_OPS) nops = MAX_OPS;
	seq->seed = seed;
	seq->nops = nops;
	/* A third of the sequences stay single-threaded, a few block from the start. */
	uint32_t p = prng_below(&g.r, 100);
	seq->phase2_start = p < 33 ? nops : p < 40 ? nops / 5 : nops / 2;
	for (int i = 0; i < nops; i++) {
		g.phase2 = i >= seq->phase2_start;
		if (i == seq->phase2_start && g.nslots < MAX_OBJ_SLOTS && prng_chance(&g.r, 50)) {
			contended_object(&g, &seq->ops[i]);
			continue;
		}
		if (g.phase2) gen_phase2(&g, &seq->ops[i]);
		else gen_plain(&g, &seq->ops[i]);
	}
}
