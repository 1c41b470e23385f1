// The guest's PID 1, packed into the initramfs by test/kernels/initramfs.ts.
//
// It turns the freshly booted kernel into "the host, with a fresh kernel": loads the modules
// listed in /guest/modules (already decompressed, in dependency order), mounts the host's
// root (virtio-9p tag "hostroot", read-only) under a tmpfs overlay, mounts the shares listed
// in /guest/shares read-write at their host paths, switches root into the overlay, runs the
// one command of /guest/argv with the environment of /guest/env in the directory of
// /guest/cwd, and powers off.
//
// The command's stdout and stderr go to files on the "results" 9p share; its status goes to
// results/status as "exit N" or "signal N". Progress markers go to the console (ttyS0) so that
// the host can tell "never reached the command" from "the command hung", and can time the
// boot. Any failure before the command is reported as a "NTSYNCD-GUEST-ERROR" line.
//
// Static, libc only: the initramfs holds nothing else.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NEWROOT "/newroot"
#define RESULTS "/results"

static int console = 2;

static double uptime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  (void)!write(console, buf, n);
}

// qemu runs with -no-reboot, so a reboot ends it; that works with or without ACPI (a power-off
// without ACPI only halts the CPUs and leaves qemu running).
static void power_off(void) {
  sync();
  reboot(RB_AUTOBOOT);
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

// Everything that goes wrong before the command ends the boot with one clear line.
static void fail(const char *fmt, ...) {
  char buf[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  say("NTSYNCD-GUEST-ERROR: %s", buf);
  power_off();
}

// Reads a whole small file from the initramfs; *len excludes the terminating NUL added.
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open %s: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) fail("cannot read %s: %s", path, strerror(errno));
    if (r == 0) break;
    n += r;
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

// Splits a NUL-separated list into a NULL-terminated vector.
static char **split_nul(char *buf, size_t len) {
  size_t count = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == 0) count++;
  char **v = calloc(count + 1, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; i < len; i += strlen(buf + i) + 1) v[k++] = buf + i;
  v[k] = NULL;
  return v;
}

static void mkdirs(const char *path, mode_t mode) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(tmp, mode);
    *p = '/';
  }
  mkdir(tmp, mode);
}

static void do_mount(const char *src, const char *target, const char *type, unsigned long flags,
                     const char *data) {
  mkdirs(target, 0755);
  if (mount(src, target, type, flags, data) != 0)
    fail("mount -t %s %s %s -o %s: %s", type, src, target, data ? data : "", strerror(errno));
}

// 9p over virtio: the channel appears once virtio-pci has probed the device, which happens
// while the modules load; retry briefly in case the probe is still running.
static void mount_9p(const char *tag, const char *target, unsigned long flags, const char *cache) {
  char opts[256];
  snprintf(opts, sizeof opts, "trans=virtio,version=9p2000.L,msize=512000,cache=%s,access=client", cache);
  mkdirs(target, 0755);
  for (int attempt = 0;; attempt++) {
    if (mount(tag, target, "9p", flags, opts) == 0) return;
    if (attempt >= 50 || (errno != ENOENT && errno != ENODEV))
      fail("mount -t 9p %s %s -o %s: %s (is the share on the qemu command line, and are 9p, "
           "9pnet_virtio and virtio_pci loaded?)", tag, target, opts, strerror(errno));
    usleep(20000);
  }
}

static void load_modules(void) {
  size_t len;
  char *list = slurp("/guest/modules", &len);
  for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
    // "file.ko params…"
    char *params = strchr(line, ' ');
    if (params) *params++ = 0;
    char path[512];
    snprintf(path, sizeof path, "/modules/%s", line);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open module %s: %s", path, strerror(errno));
    if (syscall(SYS_finit_module, fd, params ? params : "", 0) != 0 && errno != EEXIST)
      fail("loading module %s failed: %s", line, strerror(errno));
    close(fd);
  }
}

// /guest/shares: "tag path" per line; each is mounted read-write at path in the new root.
static void mount_shares(void) {
  size_t len;
  char *list = slurp("/guest/shares", &len);
  for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
    char *path = strchr(line, ' ');
    if (!path) fail("bad line in /guest/shares: %s", line);
    *path++ = 0;
    char target[4096];
    snprintf(target, sizeof target, NEWROOT "%s", path);
    // No caching: the host reads the files the guest writes as soon as the command ends.
    mount_9p(line, target, 0, "none");
  }
}

static void mount_system_dirs(void) {
  do_mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  do_mount("sysfs", NEWROOT "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  do_mount("devtmpfs", NEWROOT "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  do_mount("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666");
  do_mount("tmpfs", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  do_mount("tmpfs", NEWROOT "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  do_mount("tmpfs", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  // FUSE and CUSE daemons look for this when the fuse module is loaded.
  struct stat st;
  if (stat(NEWROOT "/sys/fs/fuse/connections", &st) == 0)
    mount("fusectl", NEWROOT "/sys/fs/fuse/connections", "fusectl", 0, NULL);
}

static int open_result(int dir, const char *name) {
  int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("cannot create results/%s: %s", name, strerror(errno));
  return fd;
}

int main(void) {
  // The kernel starts init with the console on fds 0-2 only if /dev/console exists in the
  // initramfs; mount devtmpfs first so that the console is there either way.
  mkdir("/dev", 0755);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) console = fd;
  say("NTSYNCD-GUEST-INIT %.3f", uptime());
  do_mount("proc", "/proc", "proc", 0, NULL);

  load_modules();
  say("NTSYNCD-GUEST-MODULES %.3f", uptime());

  // The host's root, read-only and cached (it does not change under a test), with a tmpfs on
  // top so that the command can write anywhere; its writes vanish with the guest.
  mount_9p("hostroot", "/lower", MS_RDONLY, "loose");
  do_mount("tmpfs", "/upper", "tmpfs", 0, "mode=0755");
  mkdirs("/upper/data", 0755);
  mkdirs("/upper/work", 0755);
  do_mount("overlay", NEWROOT, "overlay", 0,
           "lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work,index=off,xino=off,redirect_dir=off,metacopy=off");
  mount_9p("results", RESULTS, 0, "none");
  int results = open(RESULTS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (results < 0) fail("cannot open %s: %s", RESULTS, strerror(errno));
  mount_system_dirs();
  mount_shares();

  size_t len;
  char *argv_buf = slurp("/guest/argv", &len);
  char **argv = split_nul(argv_buf, len);
  char *env_buf = slurp("/guest/env", &len);
  char **envp = split_nul(env_buf, len);
  char *cwd = slurp("/guest/cwd", NULL);
  if (!argv[0]) fail("/guest/argv is empty");

  int out = open_result(results, "stdout");
  int err = open_result(results, "stderr");

  // Like switch_root: the overlay becomes "/". The initramfs stays in memory; it is tiny.
  if (chdir(NEWROOT) != 0) fail("chdir %s: %s", NEWROOT, strerror(errno));
  if (mount(".", "/", NULL, MS_MOVE, NULL) != 0) fail("moving %s to /: %s", NEWROOT, strerror(errno));
  if (chroot(".") != 0) fail("chroot: %s", strerror(errno));
  if (chdir(cwd) != 0) fail("chdir %s (the command's working directory): %s", cwd, strerror(errno));

  say("NTSYNCD-GUEST-COMMAND-START %.3f", uptime());
  double started = uptime();
  pid_t child = fork();
  if (child < 0) fail("fork: %s", strerror(errno));
  if (child == 0) {
    setsid();
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // execvpe searches the PATH of the command's own environment.
    for (char **e = envp; *e; e++)
      if (strncmp(*e, "PATH=", 5) == 0) setenv("PATH", *e + 5, 1);
    execvpe(argv[0], argv, envp);
    dprintf(2, "ntsyncd guest: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }

  // PID 1 inherits every orphan (daemons the command started): reap them all while waiting
  // for the command itself.
  int status = 0;
  for (;;) {
    int st;
    pid_t pid = wait(&st);
    if (pid == child) {
      status = st;
      break;
    }
    if (pid < 0 && errno != EINTR) fail("wait: %s", strerror(errno));
  }
  double elapsed = uptime() - started;

  char line[64];
  int n = WIFEXITED(status) ? snprintf(line, sizeof line, "exit %d\n", WEXITSTATUS(status))
                            : snprintf(line, sizeof line, "signal %d\n", WTERMSIG(status));
  int fd_status = open_result(results, "status");
  (void)!write(fd_status, line, n);
  close(fd_status);
  close(out);
  close(err);
  line[n - 1] = 0;
  say("NTSYNCD-GUEST-COMMAND-END %.3f %s (ran %.3f s)", uptime(), line, elapsed);

  // Whatever the command left running goes now, so that the guest ends.
  kill(-1, SIGKILL);
  while (wait(NULL) > 0 || errno == EINTR) {}
  power_off();
}
