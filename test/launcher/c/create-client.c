/*
 * A client of /dev/ntsync that knows nothing of ntsyncd: it issues ntsync ioctls on the device
 * path it is given and prints what came back, one "key value..." line per result, for the
 * launcher tests to check. Built 64-bit and, with -m32, 32-bit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>

#define CREATE_SEM 0x40084E80u
#define SEM_RELEASE 0xC0044E81u
#define WAIT_ANY 0xC0284E82u
#define WAIT_ALL 0xC0284E83u
#define CREATE_MUTEX 0x40084E84u
#define MUTEX_UNLOCK 0xC0084E85u
#define MUTEX_KILL 0x40044E86u
#define CREATE_EVENT 0x40084E87u
#define EVENT_SET 0x80044E88u
#define EVENT_RESET 0x80044E89u
#define EVENT_PULSE 0x80044E8Au
#define SEM_READ 0x80084E8Bu
#define MUTEX_READ 0x80084E8Cu
#define EVENT_READ 0x80084E8Du

static const unsigned int all_cmds[] = {
	CREATE_SEM, SEM_RELEASE, WAIT_ANY, WAIT_ALL, CREATE_MUTEX, MUTEX_UNLOCK, MUTEX_KILL,
	CREATE_EVENT, EVENT_SET, EVENT_RESET, EVENT_PULSE, SEM_READ, MUTEX_READ, EVENT_READ,
	0x40084E88u /* a CREATE-like number that is not one */, FIONREAD,
};

static int open_device(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("open-failed %d\n", errno);
		exit(2);
	}
	return fd;
}

static long create(int dev, unsigned long cmd, uint32_t a, uint32_t b)
{
	uint32_t args[2] = { a, b };
	long r = ioctl(dev, cmd, args);
	return r < 0 ? -errno : r;
}

static void print_object(const char *what, long fd)
{
	char content[128] = "";
	if (fd < 0) {
		printf("%s error %ld\n", what, -fd);
		return;
	}
	ssize_t n = pread((int)fd, content, sizeof(content) - 1, 0);
	if (n > 0 && content[n - 1] == '\n')
		content[n - 1] = 0;
	printf("%s fd %ld cloexec %d content %s\n", what, fd, (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) ? 1 : 0, content);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Every cmd in turn on the device, with a zeroed 40-byte argument. */
static void probe(int dev)
{
	for (size_t i = 0; i < sizeof(all_cmds) / sizeof(all_cmds[0]); i++) {
		unsigned char buf[40] = { 0 };
		long r = ioctl(dev, (unsigned long)all_cmds[i], buf);
		printf("cmd %#x ret %ld errno %d\n", all_cmds[i], r, r < 0 ? errno : 0);
		if (r >= 0 && all_cmds[i] != FIONREAD)
			close((int)r);
	}
#if UINTPTR_MAX > 0xffffffffu
	{
		/* The kernel's ioctl takes an unsigned int cmd: the upper half of the register is ignored. */
		unsigned char buf[8] = { 0 };
		long r = ioctl(dev, 0xdeadbeef00000000ul | CREATE_EVENT, buf);
		printf("highbits %#x ret %ld errno %d\n", CREATE_EVENT, r, r < 0 ? errno : 0);
		if (r >= 0)
			close((int)r);
	}
#endif
}

static void inject(int dev)
{
	print_object("sem", create(dev, CREATE_SEM, 2, 5));
	print_object("mutex", create(dev, CREATE_MUTEX, 7, 1));
	print_object("event", create(dev, CREATE_EVENT, 1, 0));
}

static void not_ours(int dev)
{
	int null = open("/dev/null", O_RDWR);
	int pipes[2];
	pipe(pipes);
	printf("devnull %ld\n", -create(null, CREATE_SEM, 0, 0));
	printf("pipe %ld\n", -create(pipes[0], CREATE_MUTEX, 0, 0));
	printf("closed %ld\n", -create(1000, CREATE_EVENT, 0, 0));
	printf("negative %ld\n", -create(-1, CREATE_EVENT, 0, 0));
	printf("self %ld\n", -create(open("/proc/self/exe", O_RDONLY), CREATE_SEM, 0, 0));
	(void)dev;
}

static void errors(int dev)
{
	printf("sem-count-over-max %ld\n", -create(dev, CREATE_SEM, 3, 2));
	printf("daemon-emfile %ld\n", -create(dev, CREATE_EVENT, (uint32_t)-EMFILE, 0));
	printf("daemon-enomem %ld\n", -create(dev, CREATE_MUTEX, (uint32_t)-ENOMEM, 0));
	printf("launcher-failure %ld\n", -create(dev, CREATE_SEM, 0xdeadbeef, 0));

	long r = ioctl(dev, CREATE_SEM, NULL);
	printf("null-args %d\n", r < 0 ? errno : 0);
	r = ioctl(dev, CREATE_SEM, (void *)1);
	printf("bad-args %d\n", r < 0 ? errno : 0);
	/* 4 readable bytes, then an unmapped page: a partial read is a fault too. */
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(map + page, page);
	r = ioctl(dev, CREATE_SEM, map + page - 4);
	printf("straddling-args %d\n", r < 0 ? errno : 0);

	/* No free fd in the caller: the injection fails and the caller must still get an answer. */
	struct rlimit old, tight;
	getrlimit(RLIMIT_NOFILE, &old);
	int highest = dup(0);
	close(highest);
	tight = old;
	tight.rlim_cur = highest; /* every number below `highest` is taken */
	setrlimit(RLIMIT_NOFILE, &tight);
	printf("caller-emfile %ld\n", -create(dev, CREATE_SEM, 0, 1));
	setrlimit(RLIMIT_NOFILE, &old);
	long ok = create(dev, CREATE_SEM, 0, 1);
	printf("after-emfile %s\n", ok >= 0 ? "ok" : "failed");
	if (ok >= 0)
		close((int)ok);
}

struct worker {
	int dev;
	int count;
	int failures;
	pthread_t thread;
};

static void *create_many(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->count; i++) {
		long fd = create(w->dev, i % 3 == 0 ? CREATE_SEM : i % 3 == 1 ? CREATE_MUTEX : CREATE_EVENT, 0, i % 3 == 0 ? 1 : 0);
		if (fd < 0)
			w->failures++;
		else
			close((int)fd);
	}
	return NULL;
}

static void threads(int dev, int nthreads, int each)
{
	struct worker workers[64];
	int before = count_fds();
	for (int i = 0; i < nthreads; i++) {
		workers[i] = (struct worker){ .dev = dev, .count = each };
		pthread_create(&workers[i].thread, NULL, create_many, &workers[i]);
	}
	int failures = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(workers[i].thread, NULL);
		failures += workers[i].failures;
	}
	printf("created %d failures %d leaked-fds %d\n", nthreads * each, failures, count_fds() - before);
}

static volatile sig_atomic_t signals_handled;
static void on_usr1(int sig)
{
	(void)sig;
	signals_handled++;
}

static volatile int interrupting = 1;
static void *interrupter(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	while (interrupting) {
		pthread_kill(target, SIGUSR1);
		usleep(50);
	}
	return NULL;
}

/* CREATEs of a thread that SIGUSR1 keeps interrupting (SA_RESTART, as Wine's suspensions). */
static void interrupted(int dev, int count)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	int before = count_fds();
	pthread_t self = pthread_self(), other;
	pthread_create(&other, NULL, interrupter, &self);
	int failures = 0, bad_errno = 0;
	for (int i = 0; i < count; i++) {
		long fd = create(dev, CREATE_EVENT, 1, 1);
		if (fd < 0) {
			failures++;
			bad_errno = (int)-fd;
		} else {
			close((int)fd);
		}
	}
	interrupting = 0;
	pthread_join(other, NULL);
	printf("created %d failures %d last-errno %d leaked-fds %d signals %d\n", count, failures, bad_errno, count_fds() - before,
	       (int)signals_handled);
}

/* Double fork like wineserver: the command exits at once, its grandchild carries on. */
static void daemonize(const char *device, const char *outfile)
{
	pid_t pid = fork();
	if (pid > 0)
		exit(0);
	setsid();
	if (fork() > 0)
		_exit(0);
	usleep(300 * 1000); /* long after the command has exited */
	int dev = open_device(device);
	long fd = create(dev, CREATE_SEM, 1, 1);
	FILE *out = fopen(outfile, "w");
	fprintf(out, "ppid-is-launcher %d create %s cloexec %d\n", getppid() == atoi(getenv("LAUNCHER_PID")) ? 1 : 0,
		fd >= 0 ? "ok" : "failed", fd >= 0 && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) ? 1 : 0);
	fclose(out);
	_exit(0);
}

static void on_forwarded(int sig)
{
	_exit(100 + sig);
}

static void wait_for_signals(void)
{
	signal(SIGINT, on_forwarded);
	signal(SIGTERM, on_forwarded);
	signal(SIGHUP, on_forwarded);
	/* ORPHAN_OF=pid: be ready only once re-parented to that process (our parent has exited). */
	const char *adopter = getenv("ORPHAN_OF");
	while (adopter && getppid() != atoi(adopter))
		usleep(1000);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60); /* a hang is a failure, never a stuck test run */
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	if (!strcmp(mode, "signals")) {
		wait_for_signals();
	} else if (!strcmp(mode, "daemonize") && argc == 4) {
		daemonize(argv[2], argv[3]);
	} else if (argc >= 3) {
		int dev = open_device(argv[2]);
		if (!strcmp(mode, "probe"))
			probe(dev);
		else if (!strcmp(mode, "inject"))
			inject(dev);
		else if (!strcmp(mode, "not-ours"))
			not_ours(dev);
		else if (!strcmp(mode, "errors"))
			errors(dev);
		else if (!strcmp(mode, "threads") && argc == 5)
			threads(dev, atoi(argv[3]), atoi(argv[4]));
		else if (!strcmp(mode, "interrupted") && argc == 4)
			interrupted(dev, atoi(argv[3]));
		else
			return 2;
		return 0;
	}
	return 2;
}
