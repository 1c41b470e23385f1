/* Object and device lifetimes follow the open files: dup, fork, SCM_RIGHTS, exit without
 * close, the device closed before its objects, and waits that outlive a close. An object
 * whose last reference is gone disappears from the object mount (<mount>/<id>). */
#include "harness.h"

TEST(dup_keeps_the_object)
{
	become_supervisor();
	int dev = open_device();
	long long id = create_id(dev, TYPE_SEM, 0, 5);
	CHECK(id > 0);
	int fd = open_object(id);
	CHECK(fd >= 0);
	int copy = dup(fd);
	CHECK_EQ(close(fd), 0);
	usleep(20 * 1000);
	CHECK(object_exists(id));
	CHECK_EQ(sem_release(copy, 2), 0);
	check_sem(copy, 2, 5);
	CHECK_EQ(close(copy), 0);
	CHECK(object_gone_within(id, 2000));
}

TEST(fork_shares_the_object)
{
	become_supervisor();
	int dev = open_device();
	long long id = create_id(dev, TYPE_SEM, 0, 5);
	int sem = open_object(id);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* the child's copy is the same object */
		_exit(sem_release(sem, 3) == 0 ? 0 : 1);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_sem(sem, 3, 5);
	CHECK(object_exists(id));
	CHECK_EQ(close(sem), 0);
	CHECK(object_gone_within(id, 2000));
}

static void send_fd(int sock, int fd)
{
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK_EQ(sendmsg(sock, &msg, 0), 1);
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	CHECK_EQ(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	CHECK(c && c->cmsg_type == SCM_RIGHTS);
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

TEST(scm_rights_passes_objects_and_the_device)
{
	become_supervisor();
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* the child exists before any ntsync fd: it gets them only through the socket */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		int dev = recv_fd(sv[1]);
		int sem = recv_fd(sv[1]);
		int ok = sem_release(sem, 1) == 1 && wait_any_poll(dev, &sem, 1, 99, NULL) == 0;
		char done = ok ? 'y' : 'n';
		CHECK_EQ(write(sv[1], &done, 1), 1);
		CHECK_EQ(read(sv[1], &done, 1), 1); /* hold the fds until the parent has looked */
		_exit(ok ? 0 : 1);
	}
	close(sv[1]);
	int dev = open_device();
	long long id = create_id(dev, TYPE_SEM, 1, 5);
	int sem = open_object(id);
	send_fd(sv[0], dev);
	send_fd(sv[0], sem);
	CHECK_EQ(close(sem), 0);
	CHECK_EQ(close(dev), 0);
	char done;
	CHECK_EQ(read(sv[0], &done, 1), 1);
	CHECK_EQ(done, 'y');
	CHECK(object_exists(id)); /* only the child's copy is left */
	CHECK_EQ(write(sv[0], &done, 1), 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(object_gone_within(id, 2000));
}

TEST(exit_without_close_releases_everything)
{
	int pipefd[2];
	CHECK_EQ(pipe(pipefd), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		become_supervisor();
		int dev = open_device();
		long long ids[3] = { create_id(dev, TYPE_SEM, 0, 1), create_id(dev, TYPE_MUTEX, 0, 0), create_id(dev, TYPE_EVENT, 1, 1) };
		for (int i = 0; i < 3; i++) CHECK(open_object(ids[i]) >= 0);
		CHECK_EQ(write(pipefd[1], ids, sizeof(ids)), sizeof(ids));
		_exit(0); /* no close(): the kernel releases the files */
	}
	long long ids[3];
	CHECK_EQ(read(pipefd[0], ids, sizeof(ids)), sizeof(ids));
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	for (int i = 0; i < 3; i++) CHECK(object_gone_within(ids[i], 2000));
}

TEST(objects_outlive_their_device)
{
	become_supervisor();
	int dev = open_device();
	int spare = dup(dev);
	int sem = create_sem(dev, 0, 2);
	int event = create_event(dev, 0, 0);
	CHECK_EQ(close(dev), 0);

	/* still fully usable through their own ioctls */
	CHECK_EQ(sem_release(sem, 2), 0);
	check_sem(sem, 2, 2);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	/* waits go through any fd of the same instance */
	CHECK_EQ(wait_any_poll(spare, &sem, 1, 123, NULL), 0);
	check_sem(sem, 1, 2);

	/* and with no device fd left at all, the objects still work */
	CHECK_EQ(close(spare), 0);
	CHECK_EQ(sem_release(sem, 1), 1);
	check_sem(sem, 2, 2);
	check_event(event, 0, 1);
}

TEST(closing_an_object_does_not_wake_its_waiter)
{
	become_supervisor();
	int dev = open_device();
	long long id = create_id(dev, TYPE_EVENT, 1, 0);
	int event = open_object(id);
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { event }, .count = 1, .owner = 123,
			    .timeout = mono_in_ms(1000) };

	start_blocked_waiter(&w);
	CHECK_EQ(close(event), 0); /* the last fd: the file is released while the wait holds the object */
	CHECK(object_gone_within(id, 2000));
	check_still_blocked(&w, 30);
	join_waiter(&w);
	CHECK_EQ(w.result, -ETIMEDOUT);
	CHECK(w.returned_at >= w.timeout);
}

TEST(released_object_stays_alive_for_its_waits)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 2);
	long long id = create_id(dev, TYPE_EVENT, 1, 0);
	int event = open_object(id);
	/* a wait-all on a semaphore and an event whose file is closed meanwhile */
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ALL, .objs = { sem, event }, .count = 2, .owner = 123,
			    .timeout = mono_in_ms(10000) };
	start_blocked_waiter(&w);
	int copy = dup(event);
	CHECK_EQ(close(event), 0);
	CHECK_EQ(event_op(copy, NTSYNC_IOC_EVENT_SET), 0);
	CHECK_EQ(close(copy), 0);
	CHECK(object_gone_within(id, 2000));
	/* the event lives on inside the wait: releasing the semaphore completes it */
	CHECK_EQ(sem_release(sem, 1), 0);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	check_sem(sem, 0, 2);
}

TEST(object_file_opens_once_by_its_creator)
{
	become_supervisor();
	int dev = open_device();
	long long id = create_id(dev, TYPE_SEM, 0, 1);
	int fd = open_object(id);
	CHECK(fd >= 0);
	CHECK_ERRNO(open_object(id), EACCES);

	long long other = create_id(dev, TYPE_SEM, 0, 1);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) _exit(open_object(other) < 0 && errno == EACCES ? 0 : 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(open_object(other) >= 0);

	/* a name that is no object */
	CHECK_ERRNO(open_object(id + 1000000), ENOENT);
}

TEST(unopened_objects_go_with_their_supervisor)
{
	int pipefd[2];
	CHECK_EQ(pipe(pipefd), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		become_supervisor();
		int dev = open_device();
		long long id = create_id(dev, TYPE_SEM, 0, 1);
		CHECK_EQ(write(pipefd[1], &id, sizeof(id)), sizeof(id));
		_exit(0); /* created, never opened */
	}
	long long id;
	CHECK_EQ(read(pipefd[0], &id, sizeof(id)), sizeof(id));
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(object_gone_within(id, 2000));
}

#define NTSYNCD_IOC_DROP _IOW(0xf3, 0x04, __u64)

TEST(a_supervisor_drops_what_it_could_not_open)
{
	int control = become_supervisor();
	int dev = open_device();
	long long id = create_id(dev, TYPE_SEM, 0, 1);
	CHECK(object_exists(id));
	__u64 arg = (__u64)id;
	CHECK_EQ(ioctl(control, NTSYNCD_IOC_DROP, &arg), 0);
	CHECK(!object_exists(id));
	CHECK_ERRNO(ioctl(control, NTSYNCD_IOC_DROP, &arg), EINVAL);
	CHECK_ERRNO(open_object(id), ENOENT);

	/* An opened object is its file's to release, and an unknown id is no object. */
	long long opened = create_id(dev, TYPE_SEM, 0, 1);
	int fd = open_object(opened);
	CHECK(fd >= 0);
	arg = (__u64)opened;
	CHECK_ERRNO(ioctl(control, NTSYNCD_IOC_DROP, &arg), EINVAL);
	CHECK(object_exists(opened));
	arg = (__u64)opened + 1000000;
	CHECK_ERRNO(ioctl(control, NTSYNCD_IOC_DROP, &arg), EINVAL);

	/* Only the control open that registered may drop: another one has no supervisor. */
	long long other = create_id(dev, TYPE_SEM, 0, 1);
	char path[512];
	snprintf(path, sizeof(path), "%s/control", mount_path());
	int unregistered = open(path, O_RDWR | O_CLOEXEC);
	CHECK(unregistered >= 0);
	arg = (__u64)other;
	CHECK_ERRNO(ioctl(unregistered, NTSYNCD_IOC_DROP, &arg), EINVAL);
	CHECK(object_exists(other));
	CHECK_EQ(ioctl(control, NTSYNCD_IOC_DROP, &arg), 0);
	close(unregistered);
	close(fd);
}

/* The daemon keeps fd witnesses of what waits named (see src/sys/fd-witness.ts): they must not
 * keep a file, and with it its object, alive. */
TEST(waited_objects_go_when_closed)
{
	become_supervisor();
	int dev = open_device();
	long long ids[2];
	int fds[2];
	for (int i = 0; i < 2; i++) {
		ids[i] = create_id(dev, TYPE_SEM, 0, 1);
		CHECK(ids[i] > 0);
		fds[i] = open_object(ids[i]);
		CHECK(fds[i] >= 0);
	}
	int copy = dup(fds[1]);
	CHECK(copy >= 0);
	int both[2] = { fds[0], copy };
	for (int round = 0; round < 20; round++) {
		CHECK_EQ(wait_any_poll(dev, fds, 2, 123, NULL), -ETIMEDOUT);
		CHECK_EQ(wait_all_poll(dev, both, 2, 123, NULL), -ETIMEDOUT);
	}
	CHECK_EQ(close(fds[0]), 0);
	CHECK(object_gone_within(ids[0], 2000));
	CHECK_EQ(close(fds[1]), 0);
	usleep(20 * 1000);
	CHECK(object_exists(ids[1]));
	CHECK_EQ(wait_any_poll(dev, &copy, 1, 123, NULL), -ETIMEDOUT);
	CHECK_EQ(close(copy), 0);
	CHECK(object_gone_within(ids[1], 2000));
	close(dev);
}

RUN(T(dup_keeps_the_object), T(fork_shares_the_object), T(scm_rights_passes_objects_and_the_device),
    T(exit_without_close_releases_everything), T(objects_outlive_their_device), T(closing_an_object_does_not_wake_its_waiter),
    T(released_object_stays_alive_for_its_waits), T(object_file_opens_once_by_its_creator), T(unopened_objects_go_with_their_supervisor),
    T(a_supervisor_drops_what_it_could_not_open), T(waited_objects_go_when_closed))
