/* Who may do what: unsupervised device opens fail, CREATE needs a registered supervisor, and
 * bad caller memory is EFAULT without hurting the daemon. */
#include "harness.h"
#include <sys/sysmacros.h>

TEST(unsupervised_open_fails)
{
	CHECK_ERRNO(open(device_path(), O_RDONLY | O_CLOEXEC), EPERM);
	CHECK_ERRNO(open(device_path(), O_RDWR), EPERM);
}

TEST(supervisor_must_be_an_ancestor)
{
	/* a registered process that is a child, not an ancestor, does not count */
	int ready[2], quit[2];
	CHECK_EQ(pipe(ready), 0);
	CHECK_EQ(pipe(quit), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		become_supervisor();
		char c = 'r';
		CHECK_EQ(write(ready[1], &c, 1), 1);
		CHECK_EQ(read(quit[0], &c, 1), 1);
		_exit(0);
	}
	char c;
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_ERRNO(open(device_path(), O_RDONLY | O_CLOEXEC), EPERM);
	CHECK_EQ(write(quit[1], &c, 1), 1);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
}

TEST(descendants_of_a_supervisor_may_open)
{
	int control = become_supervisor();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			int fd = open(device_path(), O_RDONLY | O_CLOEXEC);
			_exit(fd >= 0 ? 0 : 1);
		}
		int status;
		CHECK_EQ(waitpid(grandchild, &status, 0), grandchild);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a registration lasts as long as its control file */
	CHECK_EQ(close(control), 0);
	for (int i = 0; i < 2000; i++) {
		int fd = open(device_path(), O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			CHECK_EQ(errno, EPERM);
			return;
		}
		close(fd);
		usleep(1000);
	}
	FAIL("the device still opens after the supervisor's control file was closed");
}

TEST(threads_of_a_supervisor_may_open)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	/* the wait comes from another thread: its tid, not the pid, is in the request */
	struct waiter w = { .dev = dev, .cmd = NTSYNC_IOC_WAIT_ANY, .objs = { sem }, .count = 1, .owner = 7, .timeout = 0 };
	start_waiter(&w);
	join_waiter(&w);
	CHECK_EQ(w.result, 0);
	CHECK(w.tid != getpid());
}

TEST(create_needs_a_registered_supervisor)
{
	int control = become_supervisor();
	int dev = open_device();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* may open the device (its parent supervises) but is no supervisor itself */
		int fd = open_device();
		_exit(create_id(fd, TYPE_SEM, 0, 1) == -EPERM && create_id(dev, TYPE_SEM, 0, 1) == -EPERM ? 0 : 1);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* the control ioctl's own argument checks */
	struct ntsyncd_create_args args = { .type = 9 };
	CHECK_ERRNO(ioctl(dev, NTSYNCD_IOC_CREATE, &args), EINVAL);
	args = (struct ntsyncd_create_args){ .type = TYPE_SEM, .args = { 0, 1 }, .pad = 1 };
	CHECK_ERRNO(ioctl(dev, NTSYNCD_IOC_CREATE, &args), EINVAL);
	CHECK_EQ(create_id(dev, TYPE_SEM, 2, 1), -EINVAL);
	CHECK_EQ(create_id(dev, TYPE_MUTEX, 0, 1), -EINVAL);

	/* REGISTER, CREATE and CUSE_DEVICE only work where they belong */
	CHECK_ERRNO(ioctl(control, NTSYNCD_IOC_CREATE, &args), ENOTTY);
	CHECK_ERRNO(ioctl(dev, NTSYNCD_IOC_REGISTER), ENOTTY);
	/* the character device's number under CUSE, 0:0 for the FUSE fallback */
	__u32 numbers[2] = { 0xdead, 0xbeef };
	CHECK_EQ(ioctl(control, NTSYNCD_IOC_CUSE_DEVICE, numbers), 0);
	struct stat st;
	CHECK_EQ(stat(device_path(), &st), 0);
	if (S_ISCHR(st.st_mode)) {
		CHECK_EQ(numbers[0], major(st.st_rdev));
		CHECK_EQ(numbers[1], minor(st.st_rdev));
		CHECK(numbers[0] != 0);
	} else {
		CHECK_EQ(numbers[0], 0);
		CHECK_EQ(numbers[1], 0);
	}
}

TEST(direct_create_ioctls_are_refused)
{
	/* Without the launcher's seccomp filter no fd could be installed: refuse, create nothing. */
	become_supervisor();
	int dev = open_device();
	struct ntsync_sem_args sem = { 0, 1 };
	struct ntsync_mutex_args mutex = { 0, 0 };
	struct ntsync_event_args event = { 0, 0 };
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_CREATE_SEM, &sem), EPERM);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &mutex), EPERM);
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &event), EPERM);
}

TEST(unreadable_objs_is_efault)
{
	become_supervisor();
	int dev = open_device();
	int sem = create_sem(dev, 1, 1);
	long page = sysconf(_SC_PAGESIZE);
	char *guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(guard != MAP_FAILED);
	CHECK_EQ(mprotect(guard + page, page, PROT_NONE), 0);

	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, (int *)16, 1, 0, 123, 0, 0, NULL), -EFAULT);
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ALL, (int *)(guard + page), 2, 0, 123, 0, 0, NULL), -EFAULT);
	/* an array that runs off the end of readable memory */
	int *tail = (int *)(guard + page) - 1;
	*tail = sem;
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, tail, 2, 0, 123, 0, 0, NULL), -EFAULT);
	/* the struct itself: the kernel refuses before the daemon sees anything */
	CHECK_ERRNO(ioctl(dev, NTSYNC_IOC_WAIT_ANY, (void *)(guard + page)), EFAULT);
	CHECK_ERRNO(ioctl(sem, NTSYNC_IOC_SEM_READ, (void *)16), EFAULT);
	check_sem(sem, 1, 1);

	/* the daemon carries on */
	CHECK_EQ(wait_objs(dev, NTSYNC_IOC_WAIT_ANY, tail, 1, 0, 123, 0, 0, NULL), 0);
	check_sem(sem, 0, 1);
}

TEST(control_file_misuse)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/control", mount_path());
	int control = open(path, O_RDWR | O_CLOEXEC);
	CHECK(control >= 0);
	CHECK_ERRNO(ioctl(control, _IO(0xf3, 0x7f)), ENOTTY);
	CHECK_EQ(ioctl(control, NTSYNCD_IOC_REGISTER), 0);
	CHECK_EQ(ioctl(control, NTSYNCD_IOC_REGISTER), 0); /* again, same process: no-op */
	char byte;
	CHECK_ERRNO(read(control, &byte, 1), EINVAL);

	/* the root directory and unknown names */
	snprintf(path, sizeof(path), "%s/nonsense", mount_path());
	CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
	snprintf(path, sizeof(path), "%s/0", mount_path());
	CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
	snprintf(path, sizeof(path), "%s/device/x", mount_path());
	CHECK_ERRNO(open(path, O_RDONLY), ENOTDIR);
	struct stat st;
	CHECK_EQ(stat(mount_path(), &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(stat(device_path(), &st), 0);
	CHECK(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)); /* FUSE bind mount, or CUSE */
	CHECK_EQ(st.st_mode & 0777, 0666);
}

RUN(T(unsupervised_open_fails), T(supervisor_must_be_an_ancestor), T(descendants_of_a_supervisor_may_open),
    T(threads_of_a_supervisor_may_open), T(create_needs_a_registered_supervisor), T(direct_create_ioctls_are_refused),
    T(unreadable_objs_is_efault), T(control_file_misuse))
