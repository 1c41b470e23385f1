// Two threads that deadlock on two ntsync mutexes, as a hung game would: each takes one mutex
// and then waits (forever) for the other's. Also leaves a semaphore and an event to look at.
// Prints "deadlocked" once both threads are blocked, then sleeps until killed.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/ntsync.h> /* from test/include */

static int dev, mutex_a, mutex_b;
static pthread_barrier_t both_own_one;

static int wait_one(int obj, uint32_t owner) {
  int objs[1] = {obj};
  struct ntsync_wait_args w = {.timeout = UINT64_MAX, .objs = (uintptr_t)objs, .count = 1, .owner = owner};
  return ioctl(dev, NTSYNC_IOC_WAIT_ANY, &w);
}

static void *worker(void *arg) {
  int first = arg ? mutex_a : mutex_b, second = arg ? mutex_b : mutex_a;
  uint32_t tid = (uint32_t)syscall(SYS_gettid);
  if (wait_one(first, tid) != 0) { perror("first wait"); exit(1); }
  pthread_barrier_wait(&both_own_one);
  wait_one(second, tid); // never returns: the other thread owns it and waits for ours
  return NULL;
}

static int blocked_in_ioctl(pid_t tid) {
  char path[64], buf[64] = {0};
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int n = fscanf(f, "%63s", buf);
  fclose(f);
  return n == 1 && strcmp(buf, "16") == 0; // ioctl on x86_64
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s DEVICE\n", argv[0]); return 2; }
  dev = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (dev < 0) { perror("open"); return 1; }
  struct ntsync_mutex_args m = {0, 0};
  struct ntsync_sem_args s = {2, 5};
  struct ntsync_event_args e = {1, 0};
  mutex_a = ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &m);
  mutex_b = ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &m);
  if (mutex_a < 0 || mutex_b < 0 || ioctl(dev, NTSYNC_IOC_CREATE_SEM, &s) < 0 || ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &e) < 0) {
    perror("create");
    return 1;
  }
  pthread_barrier_init(&both_own_one, NULL, 2);
  pthread_t t1, t2;
  pthread_create(&t1, NULL, worker, (void *)1);
  pthread_create(&t2, NULL, worker, NULL);
  // Wait until both threads sit in their second (blocking) wait.
  for (int tries = 0; tries < 5000; tries++) {
    int asleep = 0;
    char path[64];
    for (pid_t tid = getpid() + 1; tid < getpid() + 64; tid++) {
      snprintf(path, sizeof path, "/proc/self/task/%d", tid);
      if (access(path, F_OK) == 0 && blocked_in_ioctl(tid)) asleep++;
    }
    if (asleep == 2) {
      usleep(50000);
      printf("deadlocked %d %d\n", mutex_a, mutex_b);
      fflush(stdout);
      for (;;) pause();
    }
    usleep(1000);
  }
  fprintf(stderr, "the threads never blocked\n");
  return 1;
}
