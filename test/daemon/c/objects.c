/* Object ioctls through the real kernel path: create, read, release, set, reset, pulse,
 * unlock, kill, and the ioctls that must fail. */
#include "harness.h"

#include <dirent.h>

TEST(semaphore_state)
{
	become_supervisor();
	int dev = open_device();
	__u32 index = 0xdead;

	CHECK_EQ(create_sem(dev, 3, 2), -EINVAL);
	int sem = create_sem(dev, 2, 2);
	CHECK(sem >= 0);
	check_sem(sem, 2, 2);

	CHECK_EQ(sem_release(sem, 1), -EOVERFLOW);
	check_sem(sem, 2, 2);
	CHECK_EQ(sem_release(sem, 0), 2);

	CHECK_EQ(wait_any_poll(dev, &sem, 1, 123, &index), 0);
	CHECK_EQ(index, 0);
	check_sem(sem, 1, 2);
	CHECK_EQ(wait_any_poll(dev, &sem, 1, 123, &index), 0);
	check_sem(sem, 0, 2);
	index = 0xdead;
	CHECK_EQ(wait_any_poll(dev, &sem, 1, 123, &index), -ETIMEDOUT);
	CHECK_EQ(index, 0xbeef); /* not written back on failure */

	CHECK_EQ(sem_release(sem, 3), -EOVERFLOW);
	check_sem(sem, 0, 2);
	CHECK_EQ(sem_release(sem, 2), 0);
	check_sem(sem, 2, 2);

	/* u32 wrap-around is overflow too */
	int big = create_sem(dev, 1, 0xffffffff);
	CHECK(big >= 0);
	CHECK_EQ(sem_release(big, 0xffffffff), -EOVERFLOW);
	check_sem(big, 1, 0xffffffff);

	/* {0, 0} is valid and never signaled */
	int empty = create_sem(dev, 0, 0);
	CHECK(empty >= 0);
	check_sem(empty, 0, 0);
	CHECK_EQ(wait_any_poll(dev, &empty, 1, 123, NULL), -ETIMEDOUT);
}

TEST(mutex_state)
{
	become_supervisor();
	int dev = open_device();
	__u32 index = 0xdead;
	struct ntsync_mutex_args args;

	CHECK_EQ(create_mutex(dev, 123, 0), -EINVAL);
	CHECK_EQ(create_mutex(dev, 0, 2), -EINVAL);
	int mutex = create_mutex(dev, 123, 2);
	CHECK(mutex >= 0);
	check_mutex(mutex, 123, 2);

	CHECK_EQ(mutex_unlock(mutex, 0), -EINVAL);
	CHECK_EQ(mutex_unlock(mutex, 456), -EPERM);
	check_mutex(mutex, 123, 2);

	CHECK_EQ(wait_any_poll(dev, &mutex, 1, 456, NULL), -ETIMEDOUT);
	CHECK_EQ(wait_any_poll(dev, &mutex, 1, 123, &index), 0);
	CHECK_EQ(index, 0);
	check_mutex(mutex, 123, 3);

	CHECK_EQ(mutex_unlock(mutex, 123), 3);
	CHECK_EQ(mutex_unlock(mutex, 123), 2);
	CHECK_EQ(mutex_unlock(mutex, 123), 1);
	check_mutex(mutex, 0, 0);
	CHECK_EQ(mutex_unlock(mutex, 123), -EPERM);

	CHECK_EQ(wait_any_poll(dev, &mutex, 1, 456, NULL), 0);
	check_mutex(mutex, 456, 1);

	/* KILL: owner 0 and non-owners are refused; the owner abandons it */
	__u32 owner = 0;
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), EINVAL);
	owner = 123;
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), EPERM);
	owner = 456;
	CHECK_EQ(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), 0);

	/* An abandoned mutex reads as {0, 0} and EOWNERDEAD: the data still comes back. */
	args.owner = 0xdead;
	args.count = 0xbeef;
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &args), EOWNERDEAD);
	CHECK_EQ(args.owner, 0);
	CHECK_EQ(args.count, 0);
	CHECK_EQ(mutex_unlock(mutex, 456), -EPERM);
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &owner), EPERM);

	/* The next acquirer gets EOWNERDEAD with the index written, and owns it. */
	index = 0xdead;
	CHECK_EQ(wait_any_poll(dev, &mutex, 1, 123, &index), -EOWNERDEAD);
	CHECK_EQ(index, 0);
	check_mutex(mutex, 123, 1);
	CHECK_EQ(wait_any_poll(dev, &mutex, 1, 123, &index), 0);
	check_mutex(mutex, 123, 2);

	/* At a count of U32_MAX not even the owner can acquire. */
	int full = create_mutex(dev, 123, 0xffffffff);
	CHECK(full >= 0);
	CHECK_EQ(wait_any_poll(dev, &full, 1, 123, NULL), -ETIMEDOUT);
	check_mutex(full, 123, 0xffffffff);
}

TEST(manual_event_state)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 1, 0);
	CHECK(event >= 0);
	check_event(event, 1, 0);

	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	check_event(event, 1, 1);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 1);

	/* A manual event is not consumed by a wait. */
	CHECK_EQ(wait_any_poll(dev, &event, 1, 123, NULL), 0);
	check_event(event, 1, 1);

	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_RESET), 1);
	check_event(event, 1, 0);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_RESET), 0);
	CHECK_EQ(wait_any_poll(dev, &event, 1, 123, NULL), -ETIMEDOUT);

	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_PULSE), 0);
	check_event(event, 1, 0);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_PULSE), 1);
	check_event(event, 1, 0);

	/* Any non-zero value is true, stored as a boolean. */
	int odd = create_event(dev, 7, 9);
	CHECK(odd >= 0);
	check_event(odd, 1, 1);
}

TEST(auto_event_state)
{
	become_supervisor();
	int dev = open_device();
	int event = create_event(dev, 0, 1);
	CHECK(event >= 0);
	check_event(event, 0, 1);

	CHECK_EQ(wait_any_poll(dev, &event, 1, 123, NULL), 0);
	check_event(event, 0, 0);
	CHECK_EQ(wait_any_poll(dev, &event, 1, 123, NULL), -ETIMEDOUT);

	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_SET), 0);
	check_event(event, 0, 1);
	CHECK_EQ(event_op(event, NTSYNC_IOC_EVENT_PULSE), 1);
	check_event(event, 0, 0);
}

TEST(wrong_kind_and_unknown_ioctls)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 1, 2);
	int mutex = create_mutex(dev, 0, 0);
	int event = create_event(dev, 0, 0);
	struct ntsync_sem_args sargs;
	struct ntsync_wait_args wargs = { 0 };
	__u32 value = 1;

	/* an object ioctl of the wrong kind: EINVAL */
	CHECK_EQ(event_op(sem, NTSYNC_IOC_EVENT_SET), -EINVAL);
	CHECK_EQ(sem_release(event, 1), -EINVAL);
	CHECK_EQ(mutex_unlock(sem, 123), -EINVAL);
	CHECK_ERRNO(ioctl(mutex, NTSYNC_IOC_SEM_READ, &sargs), EINVAL);
	CHECK_ERRNO(ioctl(event, NTSYNC_IOC_MUTEX_KILL, &value), EINVAL);

	/* unknown numbers, and device ioctls on objects and the reverse: ENOTTY */
	CHECK_ERRNO(ioctl(sem, _IOW('N', 0x8e, __u32), &value), ENOTTY);
	CHECK_ERRNO(ioctl(sem, _IO('N', 0x80)), ENOTTY);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_WAIT_ANY, &wargs), ENOTTY);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_SEM_READ, &sargs), ENOTTY);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_SEM_RELEASE, &value), ENOTTY);
	CHECK_ERRNO(ioctl(dev, _IOWR('N', 0x7f, __u32), &value), ENOTTY);
	check_sem(sem, 1, 2);
}

TEST(plain_file_operations)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 0, 1);
	char byte = 0;

	/* as on the kernel's device and anonymous object files; except that CUSE ignores
	 * FOPEN_NONSEEKABLE and gives its devices a no-op lseek */
	if (serving_cuse())
		CHECK_EQ(lseek(dev, 0, SEEK_SET), 0);
	else
		CHECK_ERRNO(lseek(dev, 0, SEEK_SET), ESPIPE);
	CHECK_ERRNO(lseek(sem, 0, SEEK_CUR), ESPIPE);
	CHECK_ERRNO(read(dev, &byte, 1), EINVAL);
	CHECK_ERRNO(read(sem, &byte, 1), EINVAL);
	CHECK_ERRNO(write(sem, &byte, 1), EINVAL);
	CHECK_ERRNO(write(dev, &byte, 1), EBADF); /* opened O_RDONLY: the VFS refuses */

	struct pollfd fds[2] = {
		{ .fd = dev, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI },
		{ .fd = sem, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI },
	};
	CHECK_EQ(poll(fds, 2, 0), 2);
	CHECK_EQ(fds[0].revents, 0x145);
	CHECK_EQ(fds[1].revents, 0x145);
	check_sem(sem, 0, 1);
}

TEST(each_open_is_an_instance)
{
	become_supervisor();
	int dev1 = open_device();
	int dev2 = open_device();
	int sem1 = create_sem(dev1, 1, 1);
	int sem2 = create_sem(dev2, 1, 1);
	int pipefd[2];
	CHECK_EQ(pipe(pipefd), 0);

	/* Objects of another instance, the device itself, other files, bad numbers: EINVAL. */
	CHECK_EQ(wait_any_poll(dev1, &sem2, 1, 123, NULL), -EINVAL);
	CHECK_EQ(wait_any_poll(dev2, &sem1, 1, 123, NULL), -EINVAL);
	CHECK_EQ(wait_any_poll(dev1, &dev1, 1, 123, NULL), -EINVAL);
	CHECK_EQ(wait_any_poll(dev1, &pipefd[0], 1, 123, NULL), -EINVAL);
	int bad[] = { sem1, 999 };
	CHECK_EQ(wait_any_poll(dev1, bad, 2, 123, NULL), -EINVAL);
	int negative = -1;
	CHECK_EQ(wait_any_poll(dev1, &negative, 1, 123, NULL), -EINVAL);
	CHECK_EQ(wait_objs(dev1, NTSYNC_IOC_WAIT_ANY, &sem1, 1, (__u32)sem2, 123, 0, 0, NULL), -EINVAL);
	check_sem(sem1, 1, 1);
	check_sem(sem2, 1, 1);

	CHECK_EQ(wait_any_poll(dev1, &sem1, 1, 123, NULL), 0);
	CHECK_EQ(wait_any_poll(dev2, &sem2, 1, 123, NULL), 0);
}

/* How many entries of the mount's listing have inode `ino` and name `name` (NULL: any name);
 * also checks the static entries and that every name is unique. */
static int listing_count(ino_t ino, const char *name, int *total)
{
	DIR *d = opendir(mount_path());
	CHECK(d != NULL);
	int found = 0, statics = 0, n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		n++;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			CHECK_EQ(e->d_type, DT_DIR);
			statics++;
			continue;
		}
		if (!strcmp(e->d_name, "device") || !strcmp(e->d_name, "control") || !strcmp(e->d_name, "status")) {
			CHECK_EQ(e->d_type, DT_REG);
			statics++;
			continue;
		}
		CHECK_EQ(e->d_type, DT_REG);
		if (e->d_ino == ino && (!name || !strcmp(e->d_name, name))) found++;
	}
	CHECK_EQ(closedir(d), 0);
	CHECK_EQ(statics, 5);
	if (total) *total = n;
	return found;
}

TEST(mount_listing)
{
	become_supervisor();
	int dev = open_device();
	enum { MANY = 300 }; /* more than one READDIR page of entries */
	int fds[MANY];
	struct stat st[MANY];
	for (int i = 0; i < MANY; i++) {
		fds[i] = create_sem(dev, 0, 1);
		CHECK_EQ(fstat(fds[i], &st[i]), 0);
	}
	int total = 0;
	for (int i = 0; i < MANY; i++) CHECK_EQ(listing_count(st[i].st_ino, NULL, i == 0 ? &total : NULL), 1);
	CHECK(total >= MANY + 5);

	/* Each name opens nothing new but stats as the object it lists. */
	DIR *d = opendir(mount_path());
	CHECK(d != NULL);
	struct dirent *e;
	int checked = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_ino != st[0].st_ino) continue;
		char path[512];
		struct stat by_name;
		snprintf(path, sizeof(path), "%s/%s", mount_path(), e->d_name);
		CHECK_EQ(stat(path, &by_name), 0);
		CHECK_EQ(by_name.st_ino, st[0].st_ino);
		checked++;
	}
	closedir(d);
	CHECK_EQ(checked, 1);

	/* A closed object leaves the listing once its file is released (RELEASE is asynchronous). */
	ino_t gone = st[0].st_ino;
	close(fds[0]);
	int tries = 0;
	while (listing_count(gone, NULL, NULL) != 0) {
		CHECK(++tries < 200);
		usleep(5000);
	}
	for (int i = 1; i < MANY; i++) close(fds[i]);
	close(dev);
}

RUN(T(semaphore_state), T(mutex_state), T(manual_event_state), T(auto_event_state), T(wrong_kind_and_unknown_ioctls),
    T(plain_file_operations), T(each_open_is_an_instance),
    T(mount_listing))
