// The benchmark's cases, the rows of its table and their targets (issue 7).
//
// A "run" is one invocation of a C client (bench/clients/ntbench.c) on one implementation; a
// "row" is a line of the table, built from one or more runs. Ratios are always taken against the
// floor measured in the same run of the harness, on the same case.

/** One JSON line printed by a C client (bench/clients/bench-common.h). */
export interface Sample {
  case: string;
  error?: string;
  n?: number;
  min_ns?: number;
  median_ns?: number;
  p90_ns?: number;
  p99_ns?: number;
  max_ns?: number;
  mean_ns?: number;
  threads?: number;
  ops?: number;
  ops_per_s_total?: number;
  ops_per_s_per_thread?: number;
  ops_per_s_min_thread?: number;
  [key: string]: unknown;
}

export type ImplName = 'floor' | 'ntsyncd' | 'kernel';

export interface RunSpec {
  /** Unique key of the run, e.g. "threads_sem_release_4". */
  key: string;
  /** The client's --case. */
  clientCase: string;
  /** Extra client arguments. */
  args: string[];
  /** Runs on the floor too (everything except the live-object count). */
  onFloor: boolean;
  /** Runs of one group are repeated together (the 1/2/4-thread runs), so they can be paired. */
  group: string;
  /** The client measures the floor itself, alternating with the device (--pair-floor). */
  pairable?: boolean;
}

export interface Settings {
  iters: number;
  warmup: number;
  threadMs: number;
  objects: number;
}

export function runSpecs(s: Settings): RunSpec[] {
  const it = (n: number) => ['--iters', String(Math.max(1, Math.round(n))), '--warmup', String(s.warmup)];
  const lat = (key: string, iters = s.iters, pairable = false): RunSpec => ({ key, clientCase: key, args: it(iters), onFloor: true, group: key, pairable });
  const specs: RunSpec[] = [
    lat('sem_release', s.iters, true),
    lat('event_set', s.iters, true),
    lat('wait_any_1', s.iters, true),
    lat('wait_any_8', s.iters, true),
    lat('wait_any_64', s.iters, true),
    lat('wait_all_8', s.iters, true),
    // each round sleeps 100 us so the waiter is really parked: fewer rounds
    { key: 'wake', clientCase: 'wake', args: ['--iters', String(Math.max(1, Math.round(s.iters / 5))), '--warmup', String(Math.min(200, s.warmup))], onFloor: true, group: 'wake' },
    lat('pingpong_threads', s.iters / 2),
    lat('pingpong_procs', s.iters / 2),
    lat('create_close', s.iters / 2, true),
    {
      key: 'deadline',
      clientCase: 'deadline',
      args: ['--iters', String(Math.max(20, Math.min(500, Math.round(s.iters / 40)))), '--warmup', '20', '--deadline-us', '1000'],
      onFloor: true,
      group: 'deadline',
    },
  ];
  for (const op of ['sem_release', 'event_set']) {
    for (const t of [1, 2, 4]) {
      specs.push({
        key: `threads_${op}_${t}`,
        clientCase: `threads_${op}`,
        args: ['--threads', String(t), '--duration-ms', String(s.threadMs), '--warmup', String(s.warmup)],
        onFloor: true,
        group: `threads_${op}`,
      });
    }
  }
  return specs;
}

export type Row =
  | { kind: 'latency'; key: string; label: string; maxRatio?: number; note?: string }
  | { kind: 'deadline'; key: string; label: string; maxP99Ns: number; note?: string }
  | { kind: 'scaling'; key: string; label: string; one: string; many: string; minKeep: number; note?: string }
  | { kind: 'memory'; key: string; label: string; maxBytes: number; note?: string };

export const ROWS: Row[] = [
  { kind: 'latency', key: 'sem_release', label: 'SEM_RELEASE', maxRatio: 1.35 },
  { kind: 'latency', key: 'event_set', label: 'EVENT_SET', maxRatio: 1.35 },
  { kind: 'latency', key: 'wait_any_1', label: 'WAIT_ANY, 1 signalled', maxRatio: 1.8 },
  { kind: 'latency', key: 'wait_any_8', label: 'WAIT_ANY, 8 signalled', maxRatio: 3.5 },
  { kind: 'latency', key: 'wait_any_64', label: 'WAIT_ANY, 64 signalled', maxRatio: 22 },
  { kind: 'latency', key: 'wait_all_8', label: 'WAIT_ALL, 8 signalled' },
  { kind: 'latency', key: 'wake', label: 'Wake latency (set → waiter returns)', maxRatio: 2.5 },
  { kind: 'latency', key: 'pingpong_threads', label: 'Ping-pong, 2 threads (round trip)' },
  { kind: 'latency', key: 'pingpong_procs', label: 'Ping-pong, 2 processes (round trip)' },
  { kind: 'latency', key: 'create_close', label: 'CREATE + close', maxRatio: 15, note: 'floor: the no-op CREATE ioctl (no fd to close)' },
  {
    kind: 'deadline',
    key: 'deadline',
    label: 'Timed wait: lateness past a 1 ms deadline',
    maxP99Ns: 1_000_000,
    note: 'target from DESIGN.md (sub-millisecond timeouts), not issue 7',
  },
  { kind: 'latency', key: 'threads_sem_release_1', label: 'SEM_RELEASE, 1 thread (per-op latency)' },
  { kind: 'latency', key: 'threads_sem_release_2', label: 'SEM_RELEASE, 2 threads (per-op latency)' },
  { kind: 'latency', key: 'threads_sem_release_4', label: 'SEM_RELEASE, 4 threads (per-op latency)' },
  {
    kind: 'scaling',
    key: 'scaling_sem_release',
    label: 'SEM_RELEASE, 4 threads: total throughput vs 1 thread',
    one: 'threads_sem_release_1',
    many: 'threads_sem_release_4',
    minKeep: 0.9,
  },
  { kind: 'latency', key: 'threads_event_set_1', label: 'EVENT_SET, 1 thread (per-op latency)' },
  { kind: 'latency', key: 'threads_event_set_2', label: 'EVENT_SET, 2 threads (per-op latency)' },
  { kind: 'latency', key: 'threads_event_set_4', label: 'EVENT_SET, 4 threads (per-op latency)' },
  {
    kind: 'scaling',
    key: 'scaling_event_set',
    label: 'EVENT_SET, 4 threads: total throughput vs 1 thread',
    one: 'threads_event_set_1',
    many: 'threads_event_set_4',
    minKeep: 0.9,
  },
  { kind: 'memory', key: 'objects', label: '100,000 live objects: daemon RSS', maxBytes: 150 * 1024 * 1024 },
];

/** The reference rows: no device, the mechanisms behind esync (eventfd) and fsync (futex). */
export const REFERENCE_CASES: { key: string; label: string; compareWith: string }[] = [
  { key: 'eventfd_threads', label: 'eventfd ping-pong, 2 threads (esync)', compareWith: 'pingpong_threads' },
  { key: 'futex_threads', label: 'futex ping-pong, 2 threads (fsync)', compareWith: 'pingpong_threads' },
  { key: 'eventfd_procs', label: 'eventfd ping-pong, 2 processes', compareWith: 'pingpong_procs' },
  { key: 'futex_procs', label: 'futex ping-pong, 2 processes', compareWith: 'pingpong_procs' },
  // What a userspace device pays per wait besides its round trip (no ping-pong to compare with).
  { key: 'resolve_fd', label: 'one fd resolved: statx of /proc/<pid>/fd/<n>, another process', compareWith: '' },
  { key: 'check_fd', label: 'one fd checked against a witness: kcmp(KCMP_EPOLL_TFD), another process', compareWith: '' },
  { key: 'read_objs', label: 'an 8-fd objs array read: process_vm_readv, another process', compareWith: '' },
];
