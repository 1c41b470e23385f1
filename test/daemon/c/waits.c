/* WAIT_ANY / WAIT_ALL through the daemon: polls, argument checks, and blocking waits woken by
 * another thread (the acquisition is visible as soon as the signalling ioctl returns). */
#include "harness.h"

static struct waiter make_waiter(int dev, unsigned long cmd, const int *objs, __u32 count, __u32 alert, __u32 owner)
{
	struct waiter w = { .dev = dev, .cmd = cmd, .count = count, .alert = alert, .owner = owner, .timeout = INFINITE };
	memcpy(w.objs, objs, count * sizeof(int));
	return w;
}

TEST(wait_any_poll)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 3);
	int mutex = create_mutex(dev, 123, 1);
	int event = create_event(dev, 1, 0);
	int alert = create_event(dev, 0, 0);
	int objs[] = { sem, mutex, event };
	__u32 index;

	/* nothing available to 456; the mutex is 123's own */
	CHECK_EQ(wait_any_poll(dev, objs, 3, 456, &index), -ETIMEDOUT);
	CHECK_EQ(wait_any_poll(dev, objs, 3, 123, &index), 0);
	CHECK_EQ(index, 1);
	check_mutex(mutex, 123, 2);

	/* the lowest signaled index wins */
	CHECK_EQ(sem_release(sem, 1), 0);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	CHECK_EQ(wait_any_poll(dev, objs, 3, 456, &index), 0);
	CHECK_EQ(index, 0);
	check_sem(sem, 0, 3);
	CHECK_EQ(wait_any_poll(dev, objs, 3, 456, &index), 0);
	CHECK_EQ(index, 2);

	/* duplicates: lowest position */
	int dups[] = { alert, event, event };
	CHECK_EQ(wait_any_poll(dev, dups, 3, 456, &index), 0);
	CHECK_EQ(index, 1);

	/* the alert reports index == count, and only after every real object */
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_RESET), 1);
	CHECK_EQ(event_op(alert, NTSYNC_IOC_EVENT_SET), 0);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 3, alert, 456, 0, 0, &index), 0);
	CHECK_EQ(index, 3);
	check_event(alert, 0, 0);

	/* count 0: objs is not read, and without alert only a timeout can end it */
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, NULL, 0, 0, 456, 0, 0, &index), -ETIMEDOUT);
	CHECK_EQ(event_op(alert, NTSYNC_IOC_EVENT_SET), 0);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, NULL, 0, alert, 456, 0, 0, &index), 0);
	CHECK_EQ(index, 0);
}

TEST(wait_argument_checks)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	int objs[65];
	for (int i = 0; i < 65; i++) objs[i] = sem;

	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 65, 0, 123, 0, 0, NULL), -EINVAL);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 0xffffffff, 0, 123, 0, 0, NULL), -EINVAL);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 1, 0, 0, 0, 0, NULL), -EINVAL);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 1, 0, 123, 0, 2, NULL), -EINVAL);
	struct ntsync_wait_args args = { .objs = (uintptr_t)objs, .count = 1, .owner = 123, .pad = 1 };
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_WAIT_ANY, &args), EINVAL);
	check_sem(sem, 1, 1);
	/* 64 duplicates are fine for WAIT_ANY */
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, objs, 64, 0, 123, 0, 0, NULL), 0);
	check_sem(sem, 0, 1);
}

TEST(wait_all_poll)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 1, 3);
	int mutex = create_mutex(dev, 0, 0);
	int event = create_event(dev, 0, 1);
	int alert = create_event(dev, 1, 1);
	int objs[] = { sem, mutex, event };
	__u32 index = 0xdead;

	CHECK_EQ(wait_all_poll(dev, objs, 3, 123, &index), 0);
	CHECK_EQ(index, 0);
	check_sem(sem, 0, 3);
	check_mutex(mutex, 123, 1);
	check_event(event, 0, 0);

	/* not all signaled: nothing is taken */
	CHECK_EQ(sem_release(sem, 1), 0);
	CHECK_EQ(wait_all_poll(dev, objs, 3, 123, &index), -ETIMEDOUT);
	check_sem(sem, 1, 3);
	check_mutex(mutex, 123, 1);

	/* the alert wakes a wait-all that cannot complete: index == count */
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, objs, 3, alert, 123, 0, 0, &index), 0);
	CHECK_EQ(index, 3);
	check_sem(sem, 1, 3);

	/* duplicates, including the alert among the objects: EINVAL */
	int dups[] = { sem, sem };
	CHECK_EQ(wait_all_poll(dev, dups, 2, 123, NULL), -EINVAL);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, objs, 3, sem, 123, 0, 0, NULL), -EINVAL);

	/* "all of nothing" is true at once, and does not consume the alert */
	CHECK_EQ(event_op(alert, NTSYNC_IOC_EVENT_RESET), 1);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, NULL, 0, alert, 123, 0, 0, &index), 0);
	CHECK_EQ(index, 0);
}

TEST(wake_any_semaphore)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 2);
	struct waiter w = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, 123);

	start_blocked_waiter(&w);
	CHECK_EQ(sem_release(sem, 1), 0);
	/* acquired inside the release, before it returned */
	check_sem(sem, 0, 2);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(w.index, 0);
}

TEST(wake_any_mutex_and_event)
{
	become_supervisor();
	int dev = open_device();
	int mutex = create_mutex(dev, 123, 1);
	int event = create_event(dev, 0, 0);
	int objs[] = { event, mutex };
	struct waiter w = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, objs, 2, 0, 456);

	start_blocked_waiter(&w);
	CHECK_EQ(mutex_unlock(mutex, 123), 1);
	check_mutex(mutex, 456, 1);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(w.index, 1);

	w.owner = 789; /* 456 owns the mutex now and would take it again at once */
	start_blocked_waiter(&w);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	check_event(event, 0, 0);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(w.index, 0);
}

TEST(wake_any_fifo)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 2);
	struct waiter a = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, 1);
	struct waiter b = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, 2);

	start_blocked_waiter(&a);
	start_blocked_waiter(&b);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&a);
	CHECK_EQ(a.result, 0);
	check_still_blocked(&b, 50);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&b);
	CHECK_EQ(b.result, 0);
	check_sem(sem, 0, 2);
}

TEST(wake_all)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 2);
	int mutex = create_mutex(dev, 123, 1);
	int event = create_event(dev, 1, 0);
	int objs[] = { sem, mutex, event };
	struct waiter w = make_waiter(dev, NTSYNC_IOC_WAIT_ALL, objs, 3, 0, 456);

	start_blocked_waiter(&w);
	CHECK_EQ(sem_release(sem, 1), 0);
	check_sem(sem, 1, 2); /* nothing is taken until all are available */
	CHECK_EQ(mutex_unlock(mutex, 123), 1);
	check_mutex(mutex, 0, 0);
	check_still_blocked(&w, 20);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	check_sem(sem, 0, 2);
	check_mutex(mutex, 456, 1);
	check_event(event, 1, 1);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(w.index, 0);
}

TEST(wait_all_before_wait_any)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	int event = create_event(dev, 1, 1);
	int objs[] = { sem, event };
	struct waiter any = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, 1);
	struct waiter all = make_waiter(dev, NTSYNC_IOC_WAIT_ALL, objs, 2, 0, 2);

	/* the wait-any queued first, yet the wait-all gets the unit */
	start_blocked_waiter(&any);
	start_blocked_waiter(&all);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&all);
	CHECK_EQ(all.result, 0);
	check_still_blocked(&any, 30);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&any);
	CHECK_EQ(any.result, 0);
}

TEST(alert_wakes_waiter)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	int alert = create_event(dev, 0, 0);
	struct waiter any = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &sem, 1, alert, 123);
	struct waiter all = make_waiter(dev, NTSYNC_IOC_WAIT_ALL, &sem, 1, alert, 123);

	start_blocked_waiter(&any);
	CHECK_EQ(event_op(alert, NTSYNC_IOC_EVENT_SET), 0);
	check_event(alert, 0, 0);
	join_waiter(&any);
	CHECK_EQ(any.result, 0);
	CHECK_EQ(any.index, 1);

	start_blocked_waiter(&all);
	CHECK_EQ(event_op(alert, NTSYNC_IOC_EVENT_PULSE), 0);
	join_waiter(&all);
	CHECK_EQ(all.result, 0);
	CHECK_EQ(all.index, 1);
	check_sem(sem, 0, 1);
}

TEST(abandoned_mutex_wakes_with_ownerdead)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 0, 0);
	int mutex = create_mutex(dev, 123, 3);
	int objs[] = { event, mutex };
	struct waiter w = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, objs, 2, 0, 456);
	__u32 owner = 123;

	start_blocked_waiter(&w);
	CHECK_EQ(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), 0);
	check_mutex(mutex, 456, 1);
	join_waiter(&w);
	CHECK_EQ(w.result, -EOWNERDEAD);
	CHECK_EQ(w.index, 1); /* written although the result is an error */
}

TEST(pulse_and_shared_owner_wake_several)
{
	become_supervisor();
	int dev = open_device();
	int manual = create_event(dev, 1, 0);
	int autoev = create_event(dev, 0, 0);
	int mutex = create_mutex(dev, 123, 1);
	struct waiter w[3];

	/* PULSE on a manual event wakes every waiter; the event ends unsignaled */
	for (int i = 0; i < 2; i++) {
		w[i] = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &manual, 1, 0, 10 + i);
		start_blocked_waiter(&w[i]);
	}
	CHECK_EQ(event_op(manual, NTSYNC_IOC_EVENT_PULSE), 0);
	check_event(manual, 1, 0);
	for (int i = 0; i < 2; i++) {
		join_waiter(&w[i]);
		CHECK_EQ(w[i].result, 0);
	}

	/* on an auto event, one */
	for (int i = 0; i < 2; i++) {
		w[i] = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &autoev, 1, 0, 10 + i);
		start_blocked_waiter(&w[i]);
	}
	CHECK_EQ(event_op(autoev, NTSYNC_IOC_EVENT_PULSE), 0);
	join_waiter(&w[0]);
	CHECK_EQ(w[0].result, 0);
	check_still_blocked(&w[1], 30);
	CHECK_EQ(event_op(autoev, NTSYNC_IOC_EVENT_SET), 0);
	join_waiter(&w[1]);
	check_event(autoev, 0, 0);

	/* one unlock grants every waiter that shares the new owner's id */
	for (int i = 0; i < 3; i++) {
		w[i] = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, &mutex, 1, 0, i == 1 ? 789 : 456);
		start_blocked_waiter(&w[i]);
	}
	CHECK_EQ(mutex_unlock(mutex, 123), 1);
	check_mutex(mutex, 456, 2);
	join_waiter(&w[0]);
	join_waiter(&w[2]);
	CHECK_EQ(w[0].result, 0);
	CHECK_EQ(w[2].result, 0);
	check_still_blocked(&w[1], 30);
	CHECK_EQ(mutex_unlock(mutex, 456), 2);
	CHECK_EQ(mutex_unlock(mutex, 456), 1);
	join_waiter(&w[1]);
	check_mutex(mutex, 789, 1);
}

TEST(many_waiters_many_objects)
{
	become_supervisor();
	int dev = open_device();
	enum { N = 32 };
	int decoy = create_event(dev, 1, 0);
	int sems[N];
	struct waiter w[N];
	/* every waiter shares the decoy's queue and has a semaphore of its own */
	for (int i = 0; i < N; i++) {
		sems[i] = create_sem(dev, 0, 1);
		int objs[] = { decoy, sems[i] };
		w[i] = make_waiter(dev, NTSYNC_IOC_WAIT_ANY, objs, 2, 0, 100 + i);
		start_waiter(&w[i]);
	}
	for (int i = 0; i < N; i++) wait_until_blocked(getpid(), w[i].tid);
	sync_with_daemon(dev);
	for (int i = N - 1; i >= 0; i--) {
		CHECK_EQ(sem_release(sems[i], 1), 0);
		check_sem(sems[i], 0, 1);
	}
	for (int i = 0; i < N; i++) {
		join_waiter(&w[i]);
		CHECK_EQ(w[i].result, 0);
		CHECK_EQ(w[i].index, 1);
	}
	check_event(decoy, 1, 0);
}

/* Issue 7's rule for any cache of fd resolution: another thread closes an fd and gets a new
 * object at the same number; a wait on that number must see the new object every time. */
struct reuse_state {
	pthread_barrier_t step;
	int dev;
	int slot;
	int rounds;
};

static void *reuse_fd_number(void *arg)
{
	struct reuse_state *st = arg;
	for (int i = 1; i < st->rounds; i++) {
		pthread_barrier_wait(&st->step);
		CHECK_EQ(close(st->slot), 0);
		/* Odd rounds: a signalled semaphore, even rounds: an empty one. */
		int fd = create_sem(st->dev, i & 1, 1);
		CHECK(fd >= 0);
		if (fd != st->slot) {
			CHECK_EQ(dup2(fd, st->slot), st->slot);
			CHECK_EQ(close(fd), 0);
		}
		pthread_barrier_wait(&st->step);
	}
	return NULL;
}

TEST(fd_number_reused_by_another_thread)
{
	become_supervisor();
	struct reuse_state st = { .dev = open_device(), .rounds = 400 };
	st.slot = create_sem(st.dev, 0, 1);
	CHECK_EQ(pthread_barrier_init(&st.step, NULL, 2), 0);
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, reuse_fd_number, &st), 0);
	CHECK_EQ(wait_any_poll(st.dev, &st.slot, 1, 123, NULL), -ETIMEDOUT);
	for (int i = 1; i < st.rounds; i++) {
		pthread_barrier_wait(&st.step);
		pthread_barrier_wait(&st.step);
		CHECK_EQ(wait_any_poll(st.dev, &st.slot, 1, 123, NULL), (i & 1) ? 0 : -ETIMEDOUT);
		/* And WAIT_ALL on that number resolves the same object, empty by now either way. */
		CHECK_EQ(wait_all_poll(st.dev, &st.slot, 1, 123, NULL), -ETIMEDOUT);
	}
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(pthread_barrier_destroy(&st.step), 0);
}

/* An fd number that named an object, waited on until the daemon checks it by witness, then
 * given to a file that is no object (a pipe), then to another fd of the same object again. */
TEST(fd_number_taken_by_another_file)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 5);
	CHECK(sem >= 0);
	int keep = dup(sem);
	CHECK(keep >= 0);
	int pipefd[2];
	CHECK_EQ(pipe(pipefd), 0);
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 4; i++) CHECK_EQ(wait_any_poll(dev, &sem, 1, 123, NULL), -ETIMEDOUT);
		CHECK_EQ(dup2(pipefd[0], sem), sem);
		CHECK_EQ(wait_any_poll(dev, &sem, 1, 123, NULL), -EINVAL);
		CHECK_EQ(wait_all_poll(dev, &sem, 1, 123, NULL), -EINVAL);
		CHECK_EQ(dup2(keep, sem), sem);
		CHECK_EQ(sem_release(keep, 1), 0);
		__u32 index = 99;
		CHECK_EQ(wait_any_poll(dev, &sem, 1, 123, &index), 0);
		CHECK_EQ(index, 0);
	}
	check_sem(keep, 0, 5);
}

RUN(T(wait_any_poll), T(wait_argument_checks), T(wait_all_poll), T(wake_any_semaphore), T(wake_any_mutex_and_event),
    T(wake_any_fifo), T(wake_all), T(wait_all_before_wait_any), T(alert_wakes_waiter),
    T(abandoned_mutex_wakes_with_ownerdead), T(pulse_and_shared_owner_wake_several), T(many_waiters_many_objects),
    T(fd_number_reused_by_another_thread), T(fd_number_taken_by_another_file))
