// Turns measured samples into the table (markdown, also printed) and the SVG chart.
// No dependencies: the SVG is written by hand.
import { ImplName, REFERENCE_CASES, Row, ROWS, Sample } from './cases';

export interface MemorySample {
  /** Daemon VmRSS before the client created anything, bytes. */
  baselineBytes: number;
  /** Daemon VmRSS with all objects alive, bytes. */
  rssBytes: number;
  /** Daemon VmHWM at that point, bytes. */
  hwmBytes: number;
  created: number;
  createNsMean: number;
}

export interface ImplResult {
  name: ImplName;
  label: string;
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  /** Keyed by RunSpec.key: the best of the repeats (lowest median; highest total ops/s for the
   *  thread runs). */
  runs: Record<string, Sample>;
  /** Every repeat's sample, keyed by RunSpec.key, in repeat order (null: that repeat failed). */
  repeats: Record<string, (Sample | null)[]>;
  /** For the pairable cases: the floor as measured by this implementation's own client,
   *  interleaved with it (--pair-floor), per repeat. */
  pairedFloor: Record<string, (Sample | null)[]>;
  errors: Record<string, string>;
  memory?: MemorySample;
  memoryNote?: string;
  /** ntsyncd without ntsync-run: CREATE is measured without the launcher's path. */
  direct?: boolean;
}

export interface Section {
  title: string;
  note?: string;
  impls: ImplResult[];
  reference: Record<string, Sample>;
}

export interface BenchResults {
  version: 1;
  date: string;
  commit: string;
  host: { kernel: string; cpus: number; cpuModel: string; node: string; loadBefore: number[]; loadAfter: number[] };
  settings: Record<string, unknown>;
  sections: Section[];
  /** The evaluated rows of every section (what the table shows). */
  table?: EvaluatedRow[][];
}

export type Verdict = 'met' | 'missed' | 'no target' | 'not run';

export interface Cell {
  median?: string;
  p99?: string;
  ratio?: string;
  medianNs?: number;
  p99Ns?: number;
  ratioValue?: number;
}

export interface EvaluatedRow {
  key: string;
  label: string;
  kind: Row['kind'];
  target: string;
  cells: Partial<Record<ImplName, Cell>>;
  /** The verdict for ntsyncd (the implementation the targets are for). */
  verdict: Verdict;
  note?: string;
}

export function fmtNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '—';
  const us = ns / 1000;
  const abs = Math.abs(us);
  return `${us.toFixed(abs < 10 ? 2 : abs < 100 ? 1 : 0)} µs`;
}

function fmtRate(r: number): string {
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)}M/s` : `${(r / 1e3).toFixed(0)}k/s`;
}

function fmtMB(b: number): string {
  return `${(b / (1024 * 1024)).toFixed(1)} MB`;
}

function targetText(row: Row): string {
  switch (row.kind) {
    case 'latency':
      return row.maxRatio !== undefined ? `≤ ${row.maxRatio}×` : '—';
    case 'deadline':
      return `p99 ≤ ${fmtNs(row.maxP99Ns)}`;
    case 'scaling':
      return `≥ ${Math.round(row.minKeep * 100)}%`;
    case 'memory':
      return `≤ ${fmtMB(row.maxBytes)}`;
  }
}

function ok(s: Sample | null | undefined): s is Sample & { median_ns: number; p99_ns: number } {
  return !!s && !s.error && typeof s.median_ns === 'number' && typeof s.p99_ns === 'number';
}

interface Pair {
  s: Sample & { median_ns: number; p99_ns: number };
  f: Sample & { median_ns: number; p99_ns: number };
  ratio: number;
}

/**
 * The repeats of `key` for `impl`, each with the floor measured beside it: by the same client
 * (pairable cases) or in the run just before (the others). The representative pair is the one
 * with the median ratio: its figures are shown, so the ratio in the table is the ratio of the
 * medians on its row, and a noisy repeat on either side cannot decide it.
 */
function representativePair(impl: ImplResult, floor: ImplResult | undefined, key: string): Pair | null {
  const reps = impl.repeats[key] ?? [];
  const pf = impl.pairedFloor?.[key];
  const pairs: Pair[] = [];
  reps.forEach((s, r) => {
    const f = pf ? pf[r] : floor?.repeats[key]?.[r];
    if (ok(s) && ok(f) && f.median_ns > 0) pairs.push({ s, f, ratio: s.median_ns / f.median_ns });
  });
  if (!pairs.length) return null;
  pairs.sort((a, b) => a.ratio - b.ratio);
  return pairs[Math.floor((pairs.length - 1) / 2)];
}

/** The floor's typical repeat (the median of its medians) when nothing is paired with it. */
function typicalRun(impl: ImplResult, key: string): (Sample & { median_ns: number; p99_ns: number }) | null {
  const reps = (impl.repeats[key] ?? []).filter(ok);
  if (!reps.length) return null;
  reps.sort((a, b) => a.median_ns - b.median_ns);
  return reps[Math.floor((reps.length - 1) / 2)];
}

export function evaluate(section: Section): EvaluatedRow[] {
  const floor = section.impls.find((i) => i.name === 'floor');
  const out: EvaluatedRow[] = [];
  for (const row of ROWS) {
    const ev: EvaluatedRow = { key: row.key, label: row.label, kind: row.kind, target: targetText(row), cells: {}, verdict: 'not run' };
    if (row.note) ev.note = row.note;
    const hasTarget = !(row.kind === 'latency' && row.maxRatio === undefined);
    // The floor column: the floor beside ntsyncd's representative repeat, else the first other
    // implementation's, else the floor's typical run.
    let floorShown: (Sample & { median_ns: number; p99_ns: number }) | null = null;
    if (row.kind === 'latency' || row.kind === 'deadline') {
      for (const impl of section.impls) {
        if (impl.name === 'floor' || !impl.available) continue;
        const p = representativePair(impl, floor, row.key);
        if (p) {
          floorShown = p.f;
          break;
        }
      }
      if (!floorShown && floor?.available) floorShown = typicalRun(floor, row.key);
    }
    for (const impl of section.impls) {
      const cell: Cell = {};
      if (!impl.available) {
        ev.cells[impl.name] = cell;
        continue;
      }
      if (row.kind === 'latency' || row.kind === 'deadline') {
        let shown: (Sample & { median_ns: number; p99_ns: number }) | null = null;
        if (impl.name === 'floor') {
          shown = floorShown;
        } else {
          const p = representativePair(impl, floor, row.key);
          if (p) {
            shown = p.s;
            cell.ratioValue = p.ratio;
            cell.ratio = `${p.ratio.toFixed(2)}×`;
          } else {
            shown = typicalRun(impl, row.key);
          }
        }
        if (shown) {
          cell.medianNs = shown.median_ns;
          cell.p99Ns = shown.p99_ns;
          cell.median = fmtNs(shown.median_ns);
          cell.p99 = fmtNs(shown.p99_ns);
        } else if (impl.errors[row.key]) {
          cell.median = 'error';
        }
        if (impl.name === 'ntsyncd') {
          if (row.kind === 'latency') {
            if (!hasTarget) ev.verdict = 'no target';
            else if (row.key === 'create_close' && impl.direct) ev.verdict = 'no target'; // not the launcher's path
            else if (cell.ratioValue !== undefined) ev.verdict = cell.ratioValue <= (row.maxRatio as number) ? 'met' : 'missed';
          } else if (cell.p99Ns !== undefined) {
            ev.verdict = cell.p99Ns <= row.maxP99Ns ? 'met' : 'missed';
          }
        }
      } else if (row.kind === 'scaling') {
        // Paired: the 1- and 4-thread runs of the same repeat ran back to back; the median of
        // those ratios resists the machine's noise better than a ratio of two best values.
        const ones = impl.repeats[row.one] ?? [];
        const manys = impl.repeats[row.many] ?? [];
        const pairs: number[] = [];
        ones.forEach((o, r) => {
          const m = manys[r];
          if (o?.ops_per_s_total && m?.ops_per_s_total) pairs.push(m.ops_per_s_total / o.ops_per_s_total);
        });
        if (pairs.length) {
          pairs.sort((a, b) => a - b);
          const keep = pairs[Math.floor(pairs.length / 2)];
          const one = impl.runs[row.one];
          const many = impl.runs[row.many];
          cell.ratioValue = keep;
          cell.median = `${Math.round(keep * 100)}%`;
          cell.p99 = one?.ops_per_s_total && many?.ops_per_s_total ? `${fmtRate(one.ops_per_s_total)} → ${fmtRate(many.ops_per_s_total)}` : '—';
          if (impl.name === 'ntsyncd') ev.verdict = keep >= row.minKeep ? 'met' : 'missed';
        }
      } else if (row.kind === 'memory') {
        if (impl.memory) {
          cell.median = fmtMB(impl.memory.rssBytes);
          cell.p99 = `from ${fmtMB(impl.memory.baselineBytes)}`;
          cell.medianNs = impl.memory.rssBytes;
          if (impl.name === 'ntsyncd') ev.verdict = impl.memory.rssBytes <= row.maxBytes ? 'met' : 'missed';
        } else {
          cell.median = impl.memoryNote ?? 'n/a';
        }
      }
      ev.cells[impl.name] = cell;
    }
    out.push(ev);
  }
  return out;
}

const VERDICT_TEXT: Record<Verdict, string> = { met: 'met', missed: '**missed**', 'no target': '—', 'not run': 'not run' };

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function sectionMarkdown(section: Section, allRows: EvaluatedRow[], partial = false): string {
  // A partial run (--only) leaves out the rows it did not measure.
  const rows = partial ? allRows.filter((r) => Object.values(r.cells).some((c) => c?.median && c.median !== 'n/a')) : allRows;
  const lines: string[] = [];
  lines.push(`## ${section.title}`, '');
  if (section.note) lines.push(section.note, '');
  for (const impl of section.impls) {
    if (!impl.available) lines.push(`* ${impl.label}: not available: ${impl.reason ?? 'unknown'}`);
    else if (impl.reason) lines.push(`* ${impl.label}: ${impl.reason}`);
  }
  const others = section.impls.filter((i) => i.name !== 'floor');
  const head = ['Case', 'Floor median', 'Floor p99'];
  for (const o of others) head.push(`${o.label} median`, `${o.label} p99`, `${o.label} ratio`);
  head.push('Target (ntsyncd)', 'Result');
  if (section.impls.some((i) => !i.available || i.reason)) lines.push('');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) {
    const f = r.cells.floor ?? {};
    const cols = [mdEscape(r.label), f.median ?? '—', f.p99 ?? (r.kind === 'memory' ? '' : '—')];
    for (const o of others) {
      const c = r.cells[o.name] ?? {};
      cols.push(c.median ?? '—', c.p99 ?? '—', c.ratio ?? '—');
    }
    cols.push(r.target, VERDICT_TEXT[r.verdict]);
    lines.push(`| ${cols.join(' | ')} |`);
  }
  const notes = rows.filter((r) => r.note).map((r) => `* ${r.label}: ${r.note}`);
  notes.push(
    '* Ratio: the median over the floor\'s median for the same case, measured side by side: for SEM_RELEASE, EVENT_SET, the waits on signalled objects and CREATE + close by the same client process, alternating every 100 operations; for the other cases in back-to-back runs. Of the repeats, the pair with the median ratio is shown (its figures, its ratio); a kernel column\'s ratio uses the floor measured beside the kernel.',
    '* Scaling rows: total ops/s with 4 client threads over total ops/s with 1 (each thread on its own object), the median over the repeats of that ratio within a repeat; then the best 1-thread → 4-thread totals.',
  );
  lines.push('', ...notes, '');

  const refKeys = REFERENCE_CASES.filter((c) => section.reference[c.key]);
  if (refKeys.length) {
    lines.push('### Reference rows (no device: the mechanisms behind esync and fsync, and what a userspace device pays per wait)', '');
    const rh = ['Case', 'median', 'p99', 'vs floor ping-pong'];
    const nts = section.impls.find((i) => i.name === 'ntsyncd' && i.available);
    const ker = section.impls.find((i) => i.name === 'kernel' && i.available);
    if (nts) rh.push('vs ntsyncd ping-pong');
    if (ker) rh.push('vs kernel ping-pong');
    lines.push(`| ${rh.join(' | ')} |`, `|${rh.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    const floor = section.impls.find((i) => i.name === 'floor');
    for (const c of refKeys) {
      const s = section.reference[c.key];
      if (!ok(s)) {
        lines.push(`| ${c.label} | error: ${mdEscape(s?.error ?? '?')} | | |`);
        continue;
      }
      const vs = (impl: ImplResult | undefined) => {
        const p = impl?.runs[c.compareWith];
        return ok(p) ? `${(s.median_ns / p.median_ns).toFixed(2)}×` : '—';
      };
      const cols = [c.label, fmtNs(s.median_ns), fmtNs(s.p99_ns), vs(floor)];
      if (nts) cols.push(vs(nts));
      if (ker) cols.push(vs(ker));
      lines.push(`| ${cols.join(' | ')} |`);
    }
    lines.push(...waitLowerBounds(section, floor, nts));
    lines.push('');
  }
  return lines.join('\n');
}

export function markdown(results: BenchResults, tables: EvaluatedRow[][]): string {
  const h = results.host;
  const lines = [
    `# ntsync benchmark: ntsyncd against the floor`,
    '',
    `${results.date} · commit ${results.commit} · Linux ${h.kernel} · ${h.cpus} CPU (${h.cpuModel}) · node ${h.node} · ` +
      `load average ${h.loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${h.loadAfter.map((x) => x.toFixed(2)).join(' ')} after`,
    '',
    'The floor is a minimal C FUSE daemon (`bench/floor/floor-fuse.c`) that answers each ioctl as a no-op in one round trip; ' +
      'every figure is a C client (`bench/clients/`) timing single operations with CLOCK_MONOTONIC. ' +
      `Each case ran ${String(results.settings.repeat)}× per implementation, interleaved with the floor; see the notes under the table for how the shown repeat is chosen. ` +
      (results.settings.pinned
        ? 'SEM_RELEASE, EVENT_SET, the waits on signalled objects and CREATE + close ran with the daemons, the launcher and the client pinned to one CPU (the idlest at the time): on a VM a round trip to a daemon woken on the other CPU costs about 3× more, and the scheduler\'s choice flips between runs. The other cases ran unpinned. '
        : '') +
      'A benchmark reports what it measured: a missed target never fails the run.',
    '',
  ];
  const partial = Array.isArray(results.settings.only);
  results.sections.forEach((s, i) => lines.push(sectionMarkdown(s, tables[i], partial)));
  return lines.join('\n');
}

// ---- SVG ------------------------------------------------------------------------------------

const COLORS: Record<string, string> = { floor: '#9e9e9e', ntsyncd: '#1f6feb', kernel: '#2da44e', reference: '#bf8700' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Horizontal bars of the medians on a log scale, one group per case, ratio and target at the right. */
export function svg(results: BenchResults, tables: EvaluatedRow[][]): string {
  const W = 1000;
  const labelW = 300;
  const rightW = 190;
  const plotW = W - labelW - rightW - 20;
  const barH = 11;
  const groupGap = 9;
  type Bar = { name: string; value: number; text: string };
  type Group = { label: string; bars: Bar[]; right: string; verdict?: Verdict };
  const blocks: { title: string; groups: Group[]; extra: { text: string; verdict: Verdict }[] }[] = [];
  results.sections.forEach((section, si) => {
    const groups: Group[] = [];
    for (const r of tables[si]) {
      if (r.kind !== 'latency' && r.kind !== 'deadline') continue;
      const bars: Bar[] = [];
      for (const impl of section.impls) {
        const c = r.cells[impl.name];
        if (c?.medianNs !== undefined && c.medianNs > 0) bars.push({ name: impl.name, value: c.medianNs, text: c.median ?? '' });
      }
      if (!bars.length) continue;
      const ratios = section.impls
        .filter((i) => i.name !== 'floor' && r.cells[i.name]?.ratio)
        .map((i) => `${i.name === 'ntsyncd' ? '' : i.name + ' '}${r.cells[i.name]?.ratio}`);
      const right = [ratios.join(', '), r.target !== '—' ? `(${r.target})` : ''].filter(Boolean).join(' ');
      groups.push({ label: r.label, bars, right, verdict: r.verdict });
    }
    for (const c of REFERENCE_CASES) {
      const s = section.reference[c.key];
      if (s && !s.error && typeof s.median_ns === 'number' && s.median_ns > 0)
        groups.push({ label: c.label, bars: [{ name: 'reference', value: s.median_ns, text: fmtNs(s.median_ns) }], right: '' });
    }
    // the rows that are not latencies, as lines of text under the bars
    const extra: { text: string; verdict: Verdict }[] = [];
    for (const r of tables[si]) {
      if (r.kind !== 'scaling' && r.kind !== 'memory') continue;
      const vals = section.impls
        .filter((i) => i.name !== 'floor' || r.kind === 'scaling')
        .map((i) => (r.cells[i.name]?.median && r.cells[i.name]?.median !== 'n/a' ? `${i.name} ${r.cells[i.name]?.median}` : ''))
        .filter(Boolean);
      if (vals.length) extra.push({ text: `${r.label}: ${vals.join(', ')} (target ${r.target})`, verdict: r.verdict });
    }
    blocks.push({ title: section.title, groups, extra });
  });
  const all = blocks.flatMap((b) => b.groups.flatMap((g) => g.bars.map((x) => x.value)));
  if (!all.length) all.push(1000);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all) / 1.5)));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all) * 1.2)));
  const x = (v: number) => labelW + (Math.log10(Math.max(v, lo) / lo) / Math.log10(hi / lo)) * plotW;

  const parts: string[] = [];
  let y = 56;
  const ticks: number[] = [];
  for (let d = lo; d <= hi * 1.001; d *= 10) for (const m of [1, 2, 5]) if (d * m <= hi * 1.001) ticks.push(d * m);
  const axis = (top: number, bottom: number) => {
    for (const t of ticks) {
      const tx = x(t).toFixed(1);
      parts.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${bottom}" stroke="#e5e5e5"/>`);
      parts.push(`<text x="${tx}" y="${bottom + 12}" font-size="9" text-anchor="middle" fill="#666">${esc(fmtNs(t).replace(/\.0+ /, ' '))}</text>`);
    }
  };
  for (const b of blocks) {
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(b.title)}</text>`);
    y += 10;
    const top = y;
    const body: string[] = [];
    for (const g of b.groups) {
      const gh = g.bars.length * barH;
      body.push(`<text x="${labelW - 8}" y="${(y + gh / 2 + 4).toFixed(1)}" font-size="11" text-anchor="end">${esc(g.label)}</text>`);
      g.bars.forEach((bar, i) => {
        const by = y + i * barH;
        const w = Math.max(1, x(bar.value) - labelW);
        body.push(`<rect x="${labelW}" y="${by + 1}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[bar.name] ?? '#555'}"><title>${esc(`${bar.name}: ${bar.text}`)}</title></rect>`);
        body.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${by + barH - 2}" font-size="9" fill="#333">${esc(bar.text)}</text>`);
      });
      if (g.right) {
        const color = g.verdict === 'missed' ? '#cf222e' : g.verdict === 'met' ? '#1a7f37' : '#333';
        const mark = g.verdict === 'missed' ? ' ✗' : g.verdict === 'met' ? ' ✓' : '';
        body.push(`<text x="${W - rightW}" y="${(y + gh / 2 + 4).toFixed(1)}" font-size="11" fill="${color}">${esc(g.right + mark)}</text>`);
      }
      y += gh + groupGap;
    }
    axis(top, y);
    parts.push(...body);
    y += 34;
    for (const e of b.extra) {
      const color = e.verdict === 'missed' ? '#cf222e' : e.verdict === 'met' ? '#1a7f37' : '#333';
      const mark = e.verdict === 'missed' ? ' ✗' : e.verdict === 'met' ? ' ✓' : '';
      parts.push(`<text x="${labelW}" y="${y}" font-size="11" fill="${color}">${esc(e.text + mark)}</text>`);
      y += 16;
    }
    if (b.extra.length) y += 14;
  }
  // legend
  const legend: string[] = [];
  let lx = labelW;
  const present = new Set(blocks.flatMap((b) => b.groups.flatMap((g) => g.bars.map((bar) => bar.name))));
  for (const [name, color] of Object.entries(COLORS)) {
    if (!present.has(name)) continue;
    legend.push(`<rect x="${lx}" y="28" width="12" height="10" fill="${color}"/><text x="${lx + 16}" y="37" font-size="11">${esc(name)}</text>`);
    lx += 110;
  }
  const H = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${esc(`ntsync benchmark, medians (log scale) · ${results.date} · Linux ${results.host.kernel}`)}</text>`,
    ...legend,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * What the per-call reference rows mean for the waits: the floor beside ntsyncd's shown repeat,
 * plus one objs array read and one fd lookup per fd, estimates what a userspace device pays
 * that resolves every fd through /proc, and one that checks fds it has seen with a witness (as
 * ntsyncd does from an fd's second resolution on). The rows are timed apart from the waits, so
 * these are estimates, not bounds.
 */
function waitLowerBounds(section: Section, floor: ImplResult | undefined, nts: ImplResult | undefined): string[] {
  const resolve = section.reference['resolve_fd'];
  const check = section.reference['check_fd'];
  const read = section.reference['read_objs'];
  if (!ok(resolve) || !ok(read) || !nts) return [];
  const out: string[] = [];
  for (const [key, n] of [['wait_any_1', 1], ['wait_any_8', 8], ['wait_any_64', 64]] as const) {
    const p = representativePair(nts, floor, key);
    if (!p) continue;
    const estimate = (perFd: number) => {
      const total = p.f.median_ns + read.median_ns + n * perFd;
      return `${fmtNs(total)} (${(total / p.f.median_ns).toFixed(2)}×)`;
    };
    out.push(
      `* WAIT_ANY on ${n}: the floor beside it (${fmtNs(p.f.median_ns)}) plus the array read and ${n} fd lookup${n > 1 ? 's' : ''}: ` +
        `through /proc ${estimate(resolve.median_ns)}` +
        (ok(check) ? `, by witness ${estimate(check.median_ns)}` : '') +
        `; ntsyncd measured ${fmtNs(p.s.median_ns)} (${p.ratio.toFixed(2)}×).`,
    );
  }
  if (out.length) {
    out.unshift(
      '',
      '* What exact fd lookup costs a userspace device, from the rows above (measured apart from the waits, unpinned: estimates, not bounds):',
    );
  }
  return out;
}
