/* Wait deadlines: absolute, on MONOTONIC or REALTIME, never early, and not lost among many.
 * The bounds on lateness here are loose on purpose (a loaded CI machine); the accuracy figures
 * come from bench/deadline-accuracy.ts. */
#include "harness.h"

/* Generous: catches a deadline that never fires or waits for some unrelated event. */
#define LATE_BOUND_NS (500ull * 1000000ull)

static void timed_wait(int dev, int obj, __u64 deadline, __u32 flags, clockid_t clock)
{
	int r = wait_objs(dev, NTSYNC_IOC_WAIT_ANY, &obj, 1, 0, 123, deadline, flags, NULL);
	__u64 now = now_ns(clock);
	CHECK_EQ(r, -ETIMEDOUT);
	if (now < deadline) FAIL("returned %llu ns before its deadline", (unsigned long long)(deadline - now));
	if (now > deadline + LATE_BOUND_NS) FAIL("returned %llu ms after its deadline", (unsigned long long)((now - deadline) / 1000000));
}

TEST(monotonic_deadline)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 0, 0);
	timed_wait(dev, event, mono_in_ms(100), 0, CLOCK_MONOTONIC);
	timed_wait(dev, event, mono_in_ms(1), 0, CLOCK_MONOTONIC);
	check_event(event, 0, 0);
}

TEST(realtime_deadline)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	timed_wait(dev, sem, now_ns(CLOCK_REALTIME) + 100000000ull, NTSYNC_WAIT_REALTIME, CLOCK_REALTIME);

	/* The flag picks the clock: a REALTIME "now" read as MONOTONIC is decades away. */
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { sem }, .count = 1, .owner = 123,
			    .timeout = now_ns(CLOCK_REALTIME) };
	start_blocked_waiter(&w);
	check_still_blocked(&w, 100);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
}

TEST(past_and_zero_deadlines_poll)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, 123, 0, 0, NULL), 0);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, 123, 0, 0, NULL), -ETIMEDOUT);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, &sem, 1, 0, 123, 1, NTSYNC_WAIT_REALTIME, NULL), -ETIMEDOUT);
}

TEST(many_deadlines_in_any_order)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 1, 0);
	enum { N = 12 };
	static const int ms[N] = { 240, 30, 180, 60, 300, 10, 120, 90, 270, 150, 210, 45 };
	struct waiter w[N];
	for (int i = 0; i < N; i++) {
		w[i] = (struct waiter){ .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { event }, .count = 1, .owner = 1 + i,
					.timeout = mono_in_ms(ms[i]) };
		start_waiter(&w[i]);
	}
	for (int i = 0; i < N; i++) {
		join_waiter(&w[i]);
		CHECK_EQ(w[i].result, -ETIMEDOUT);
		if (w[i].returned_at < w[i].timeout) FAIL("waiter %d returned before its deadline", i);
		if (w[i].returned_at > w[i].timeout + LATE_BOUND_NS) FAIL("waiter %d returned %llu ms late", i,
			(unsigned long long)((w[i].returned_at - w[i].timeout) / 1000000));
	}
}

TEST(signaled_before_deadline)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { sem }, .count = 1, .owner = 123,
			    .timeout = mono_in_ms(5000) };
	start_blocked_waiter(&w);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	if (w.returned_at >= w.timeout) FAIL("the wake-up waited for the deadline");
}

TEST(far_deadlines_never_expire)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 3);
	/* U64_MAX is infinite; from 2^63 up the kernel's signed ktime never expires either */
	static const __u64 timeouts[] = { ~0ull, ~0ull - 1, 1ull << 63 };
	struct waiter w[3];
	for (int i = 0; i < 3; i++) {
		w[i] = (struct waiter){ .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { sem }, .count = 1, .owner = 1,
					.timeout = timeouts[i] };
		start_blocked_waiter(&w[i]);
	}
	check_still_blocked(&w[2], 200);
	CHECK_EQ(sem_release(sem, 3), 0);
	for (int i = 0; i < 3; i++) {
		join_waiter(&w[i]);
		CHECK_EQ(w[i].result, 0);
	}
}

TEST(count_zero_sleeps_until_deadline)
{
	become_supervisor();
	int dev = open_device();
	__u64 deadline = mono_in_ms(80);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, NULL, 0, 0, 123, deadline, 0, NULL), -ETIMEDOUT);
	CHECK(now_ns(CLOCK_MONOTONIC) >= deadline);
}

RUN(T(monotonic_deadline), T(realtime_deadline), T(past_and_zero_deadlines_poll), T(many_deadlines_in_any_order),
    T(signaled_before_deadline), T(far_deadlines_never_expire), T(count_zero_sleeps_until_deadline))
