// Plain-text rendering of a status snapshot, for `ntsyncd status`.
import type { ProcessRef, StatusSnapshot } from './snapshot';

const proc = (p: ProcessRef) => `${p.name}[${p.pid}]`;

function table(rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}

function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

export function renderStatus(s: StatusSnapshot): string {
  const out: string[] = [];
  const d = s.daemon;
  out.push(`ntsyncd pid ${d.pid}: ${d.device} via ${d.transport}, objects in ${d.mount}, since ${d.startedAtIso}`);

  out.push('', `DEVICES (${s.devices.length})`);
  out.push(...table([['ID', 'OPENED BY', 'FILE'], ...s.devices.map((x) => [String(x.id), x.openedBy ? proc(x.openedBy) : '?', x.live ? 'open' : 'closed (objects remain)'])]));

  out.push('', `OBJECTS (${s.objects.length})`);
  out.push(
    ...table([
      ['ID', 'DEV', 'TYPE', 'STATE', 'HELD BY'],
      ...s.objects.map((o) => [
        String(o.id),
        String(o.device),
        o.type,
        Object.entries(o.state)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
        o.closed ? '(closed; kept by a wait)' : o.holders.map(proc).join(', ') || '-',
      ]),
    ]),
  );

  out.push('', `WAITS (${s.waits.length})`);
  out.push(
    ...table([
      ['TID', 'THREAD', 'OWNER', 'KIND', 'OBJECTS', 'ALERT', 'DEADLINE', 'WAITING'],
      ...s.waits.map((w) => [
        String(w.tid),
        w.thread,
        String(w.owner),
        w.kind,
        w.objects.join(',') || '-',
        w.alert === null ? '-' : String(w.alert),
        w.deadlineNs === null ? 'never' : `${w.clock} ${w.deadlineNs}`,
        `${(w.waitingMs / 1000).toFixed(3)} s`,
      ]),
    ]),
  );

  out.push('', 'COUNTERS');
  out.push(
    Object.entries(s.counters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
  out.push(`request latency inside the daemon: p50 ${fmtNs(s.latencyNs.p50)}, p99 ${fmtNs(s.latencyNs.p99)} over ${s.latencyNs.samples} sampled requests`);

  out.push('', s.deadlocks.length === 0 ? 'DEADLOCKS: none' : `DEADLOCKS (${s.deadlocks.length})`);
  s.deadlocks.forEach((dl, i) => {
    out.push(`  cycle ${i + 1}:`);
    for (const e of dl.cycle) {
      out.push(`    thread ${e.thread}[${e.tid}] (owner ${e.owner}) waits for mutex ${e.waitsForMutex}, held by owner ${e.heldBy}`);
    }
  });
  return out.join('\n') + '\n';
}
