/* The ntsync userspace ABI (Linux 6.14+ / 7.2), written out by hand so the benchmark clients build
 * on machines whose headers have no <linux/ntsync.h>. See docs/ntsync-abi.md sections 2-3 (in the
 * shared docs). Generic _IOC encoding only (x86, arm64, riscv): powerpc/mips/sparc/alpha differ.
 *
 * Also the two private numbers spoken with the benchmark's floor daemon (bench/floor/floor-fuse.c).
 */
#ifndef NTSYNC_BENCH_ABI_H
#define NTSYNC_BENCH_ABI_H

#include <stdint.h>

#define NTB_IOC(dir, type, nr, size) \
	((uint32_t)(((uint32_t)(dir) << 30) | ((uint32_t)(size) << 16) | ((uint32_t)(type) << 8) | (uint32_t)(nr)))
#define NTB_IOW(type, nr, size)  NTB_IOC(1u, type, nr, size)
#define NTB_IOR(type, nr, size)  NTB_IOC(2u, type, nr, size)
#define NTB_IOWR(type, nr, size) NTB_IOC(3u, type, nr, size)

struct ntsync_sem_args {
	uint32_t count;
	uint32_t max;
};

struct ntsync_mutex_args {
	uint32_t owner;
	uint32_t count;
};

struct ntsync_event_args { /* the header order: manual first */
	uint32_t manual;
	uint32_t signaled;
};

struct ntsync_wait_args { /* 40 bytes; the header order, not the .rst's */
	uint64_t timeout; /* absolute ns; UINT64_MAX = infinite */
	uint64_t objs;    /* pointer to `count` int fds */
	uint32_t count;
	uint32_t index;   /* out */
	uint32_t flags;   /* NTSYNC_WAIT_REALTIME */
	uint32_t owner;   /* must be non-zero (7.x) */
	uint32_t alert;   /* 0 = none */
	uint32_t pad;
};

_Static_assert(sizeof(struct ntsync_wait_args) == 40, "ntsync_wait_args is 40 bytes");

#define NTSYNC_WAIT_REALTIME  0x1u
#define NTSYNC_MAX_WAIT_COUNT 64
#define NTSYNC_TIMEOUT_INFINITE UINT64_MAX

#define NTSYNC_IOC_TYPE 0x4e /* 'N' */
#define NTSYNC_IOC_CREATE_SEM    NTB_IOW(NTSYNC_IOC_TYPE, 0x80, 8)  /* 0x40084E80 */
#define NTSYNC_IOC_SEM_RELEASE   NTB_IOWR(NTSYNC_IOC_TYPE, 0x81, 4) /* 0xC0044E81 */
#define NTSYNC_IOC_WAIT_ANY      NTB_IOWR(NTSYNC_IOC_TYPE, 0x82, 40) /* 0xC0284E82 */
#define NTSYNC_IOC_WAIT_ALL      NTB_IOWR(NTSYNC_IOC_TYPE, 0x83, 40) /* 0xC0284E83 */
#define NTSYNC_IOC_CREATE_MUTEX  NTB_IOW(NTSYNC_IOC_TYPE, 0x84, 8)  /* 0x40084E84 */
#define NTSYNC_IOC_MUTEX_UNLOCK  NTB_IOWR(NTSYNC_IOC_TYPE, 0x85, 8) /* 0xC0084E85 */
#define NTSYNC_IOC_MUTEX_KILL    NTB_IOW(NTSYNC_IOC_TYPE, 0x86, 4)  /* 0x40044E86 */
#define NTSYNC_IOC_CREATE_EVENT  NTB_IOW(NTSYNC_IOC_TYPE, 0x87, 8)  /* 0x40084E87 */
#define NTSYNC_IOC_EVENT_SET     NTB_IOR(NTSYNC_IOC_TYPE, 0x88, 4)  /* 0x80044E88 */
#define NTSYNC_IOC_EVENT_RESET   NTB_IOR(NTSYNC_IOC_TYPE, 0x89, 4)  /* 0x80044E89 */
#define NTSYNC_IOC_EVENT_PULSE   NTB_IOR(NTSYNC_IOC_TYPE, 0x8a, 4)  /* 0x80044E8A */
#define NTSYNC_IOC_SEM_READ      NTB_IOR(NTSYNC_IOC_TYPE, 0x8b, 8)  /* 0x80084E8B */
#define NTSYNC_IOC_MUTEX_READ    NTB_IOR(NTSYNC_IOC_TYPE, 0x8c, 8)  /* 0x80084E8C */
#define NTSYNC_IOC_EVENT_READ    NTB_IOR(NTSYNC_IOC_TYPE, 0x8d, 8)  /* 0x80084E8D */

_Static_assert(NTSYNC_IOC_CREATE_SEM == 0x40084E80u, "CREATE_SEM");
_Static_assert(NTSYNC_IOC_SEM_RELEASE == 0xC0044E81u, "SEM_RELEASE");
_Static_assert(NTSYNC_IOC_WAIT_ANY == 0xC0284E82u, "WAIT_ANY");
_Static_assert(NTSYNC_IOC_WAIT_ALL == 0xC0284E83u, "WAIT_ALL");
_Static_assert(NTSYNC_IOC_CREATE_EVENT == 0x40084E87u, "CREATE_EVENT");
_Static_assert(NTSYNC_IOC_EVENT_SET == 0x80044E88u, "EVENT_SET");
_Static_assert(NTSYNC_IOC_EVENT_READ == 0x80084E8Du, "EVENT_READ");

/* ---- ntsyncd's private control ioctls (src/ioctl/control.ts) -------------------------------
 * What ntsync-run does for a CREATE, done by the client itself when it runs without the launcher
 * (ntbench --supervise MOUNT): register as a supervisor on <mount>/control, create with
 * NTSYNCD_IOC_CREATE on the device fd, open <mount>/<id>. */
struct ntsyncd_create_args {
	uint32_t type; /* 1 semaphore, 2 mutex, 3 event */
	uint32_t args[2];
	uint32_t pad;
	uint64_t id;   /* out */
};
_Static_assert(sizeof(struct ntsyncd_create_args) == 24, "ntsyncd_create_args is 24 bytes");
#define NTSYNCD_IOC_REGISTER NTB_IOC(0u, 0xF3, 0x01, 0)
#define NTSYNCD_IOC_CREATE   NTB_IOWR(0xF3, 0x02, 24)
#define NTSYNCD_TYPE_SEM   1
#define NTSYNCD_TYPE_MUTEX 2
#define NTSYNCD_TYPE_EVENT 3

/* ---- the floor daemon's private protocol (bench/floor/floor-fuse.c) ------------------------
 * The floor answers every ioctl with one reply in one round trip, echoing the in bytes into the
 * out bytes (zeros where there are none). Two additions make the blocking cases measurable there
 * with the least work a userspace device could do:
 *
 *  FLOOR_IOC_ID (_IOR 0xF5/1, u64): returns the open's fh. On the floor an "object" is an open of
 *    the floor file, named by that fh.
 *  A WAIT_ANY/WAIT_ALL whose `owner` is FLOOR_PARK | id (id = the fh of the object, < 2^16) is a
 *    wait on that single auto-reset "object": it completes at once (index 0) if the object was
 *    signalled (and clears it), otherwise it is parked until any ioctl of type 'N' on that object
 *    (EVENT_SET, SEM_RELEASE, ...) answers it before its own reply, or until `timeout` (absolute
 *    CLOCK_MONOTONIC ns) passes (-ETIMEDOUT). Any other WAIT is echoed at once.
 */
#define FLOOR_IOC_ID  NTB_IOR(0xF5, 0x01, 8)
/* CREATE on the floor: the size and direction of CREATE_SEM, a no-op like any other, but a number
 * ntsync-run's seccomp filter does not trap (so a client under the launcher measures the floor's
 * round trip, not a seccomp notification). */
#define FLOOR_IOC_CREATE NTB_IOW(0xF5, 0x80, 8)
#define FLOOR_PARK    0x46500000u /* 'F' 'P' in the high half of `owner` */
#define FLOOR_PARK_MASK 0xFFFF0000u

#endif
