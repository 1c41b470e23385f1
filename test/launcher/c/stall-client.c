/* For the stall test: opens the device, says "ready", waits for a line on stdin, then makes one
 * CREATE_SEM and exits 0 if it got an fd. The test stops ntsyncd in between, so that the CREATE
 * finds the launcher waiting on a daemon that does not answer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ntsync.h>

int main(void)
{
	const char *path = getenv("NTSYNC_DEVICE");
	int dev = open(path ? path : "/dev/ntsync", O_RDONLY | O_CLOEXEC);
	if (dev < 0) {
		perror("open device");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (getchar() == EOF)
		return 1;
	struct ntsync_sem_args args = { .count = 1, .max = 2 };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_SEM, &args);
	if (fd < 0) {
		perror("CREATE_SEM");
		return 1;
	}
	printf("created fd %d\n", fd);
	return 0;
}
