/* Signals during a blocked wait: the daemon answers FUSE_INTERRUPT with -ERESTARTSYS, which
 * gives exactly the kernel driver's behaviour. */
#include "harness.h"
#include <dirent.h>

static volatile int handled;

static void on_sigusr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
}

static void install_handler(int restart)
{
	struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = restart ? SA_RESTART : 0 };
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	handled = 0;
}

static void wait_for_handler(int count)
{
	for (int i = 0; i < 5000 && __atomic_load_n(&handled, __ATOMIC_SEQ_CST) < count; i++) usleep(1000);
	CHECK_EQ(handled, count);
}

TEST(sa_restart_restarts_transparently)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { sem }, .count = 1, .owner = 123, .timeout = INFINITE };
	install_handler(1);

	start_blocked_waiter(&w);
	for (int i = 1; i <= 3; i++) {
		CHECK_EQ(pthread_kill(w.thread, SIGUSR1), 0);
		wait_for_handler(i);
		/* the restarted ioctl is a new request that blocks again */
		wait_until_blocked_or_done(getpid(), w.tid, &w.done);
		check_still_blocked(&w, 20);
	}
	check_sem(sem, 0, 1);
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(w.index, 0);
	check_sem(sem, 0, 1);
}

TEST(no_sa_restart_gives_eintr)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	int mutex = create_mutex(dev, 0, 0);
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ALL, .objs = { sem, mutex }, .count = 2, .owner = 123,
			    .timeout = INFINITE };
	install_handler(0);

	start_blocked_waiter(&w);
	CHECK_EQ(pthread_kill(w.thread, SIGUSR1), 0);
	join_waiter(&w);
	CHECK_EQ(w.result, -EINTR);
	CHECK_EQ(w.index, 0xbeef); /* untouched */
	CHECK_EQ(handled, 1);
	check_sem(sem, 0, 1);
	check_mutex(mutex, 0, 0);
}

TEST(restart_keeps_the_absolute_deadline)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 0, 0);
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { event }, .count = 1, .owner = 123,
			    .timeout = mono_in_ms(800) };
	install_handler(1);

	start_blocked_waiter(&w);
	usleep(200 * 1000);
	CHECK_EQ(pthread_kill(w.thread, SIGUSR1), 0);
	join_waiter(&w);
	CHECK_EQ(handled, 1);
	CHECK_EQ(w.result, -ETIMEDOUT);
	CHECK(w.returned_at >= w.timeout);
	if (w.returned_at > w.timeout + 500000000ull) FAIL("returned %llu ms after the deadline",
		(unsigned long long)((w.returned_at - w.timeout) / 1000000));
}

TEST(restarted_wait_sees_closed_fd)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 1, 0);
	int copy = dup(event);
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { copy }, .count = 1, .owner = 123, .timeout = INFINITE };
	install_handler(1);

	start_blocked_waiter(&w);
	/* closing the fd does not disturb the sleeping wait... */
	CHECK_EQ(close(copy), 0);
	check_still_blocked(&w, 30);
	/* ...but the restarted ioctl resolves its fds again */
	CHECK_EQ(pthread_kill(w.thread, SIGUSR1), 0);
	join_waiter(&w);
	CHECK_EQ(w.result, -EINVAL);
	check_event(event, 1, 0);
}

/* Forks a process that waits on `obj` for ever and exits 0 if the wait succeeds. */
static pid_t fork_waiter(int dev, int obj, __u32 owner)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int r = wait_objs(dev, NTSYNC_IOC_WAIT_ANY, &obj, 1, 0, owner, INFINITE, 0, NULL);
		_exit(r == 0 ? 0 : 100 + (-r & 0x7f));
	}
	wait_until_blocked(pid, pid);
	sync_with_daemon(dev);
	return pid;
}

/* The child's exit status, failing if it does not end within 5 s. */
static int reap(pid_t pid)
{
	int status;
	for (int i = 0; i < 5000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		CHECK(r >= 0);
		if (r == pid) return status;
		usleep(1000);
	}
	FAIL("process %d did not end within 5 s", pid);
}

TEST(sigstop_and_sigcont_are_transparent)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	int status;
	pid_t child = fork_waiter(dev, sem, 123);

	CHECK_EQ(kill(child, SIGSTOP), 0);
	CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
	CHECK(WIFSTOPPED(status));
	CHECK_EQ(kill(child, SIGCONT), 0);
	CHECK_EQ(waitpid(child, &status, WCONTINUED), child);
	CHECK(WIFCONTINUED(status));
	wait_until_blocked(child, child);
	CHECK_EQ(waitpid(child, &status, WNOHANG), 0);

	CHECK_EQ(sem_release(sem, 1), 0);
	status = reap(child);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	check_sem(sem, 0, 1);
}

TEST(sigkill_mid_wait_leaves_nothing_queued)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	pid_t first = fork_waiter(dev, sem, 1);
	pid_t second = fork_waiter(dev, sem, 2);

	CHECK_EQ(kill(first, SIGKILL), 0);
	int status = reap(first);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGKILL);

	/* Had the killed wait stayed queued, it would be first in line for this unit. */
	CHECK_EQ(sem_release(sem, 1), 0);
	status = reap(second);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	check_sem(sem, 0, 1);
}

TEST(sigkill_of_a_multithreaded_waiter)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 8);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct waiter w[4];
		for (int i = 0; i < 4; i++) {
			w[i] = (struct waiter){ .dev = dev, .cmd = i & 1 ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY,
						.objs = { sem }, .count = 1, .owner = 1 + i, .timeout = INFINITE };
			start_waiter(&w[i]);
		}
		pause();
		_exit(1);
	}
	/* four waits queued by the child's threads */
	int blocked = 0;
	for (int tries = 0; tries < 5000 && blocked < 4; tries++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		DIR *dir = opendir(path);
		CHECK(dir != NULL);
		blocked = 0;
		for (struct dirent *e; (e = readdir(dir));)
			if (e->d_name[0] != '.') blocked += blocked_in_fuse(pid, atoi(e->d_name));
		closedir(dir);
		usleep(1000);
	}
	CHECK_EQ(blocked, 4);
	sync_with_daemon(dev);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	int status = reap(pid);
	CHECK(WIFSIGNALED(status));
	/* none of the four waits took anything, or takes anything now */
	CHECK_EQ(sem_release(sem, 2), 0);
	check_sem(sem, 2, 8);
}

RUN(T(sa_restart_restarts_transparently), T(no_sa_restart_gives_eintr), T(restart_keeps_the_absolute_deadline),
    T(restarted_wait_sees_closed_fd), T(sigstop_and_sigcont_are_transparent), T(sigkill_mid_wait_leaves_nothing_queued),
    T(sigkill_of_a_multithreaded_waiter))
