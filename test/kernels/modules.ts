// Which module files a guest must load, in which order, and their decompressed bytes.
//
// Debian's kernel packages ship no modules.dep (their postinst runs depmod), and the host may
// have no kmod at all, so dependencies are read from each module's own .modinfo section
// ("depends=a,b" and "softdep=pre: c"). Modules are decompressed here, on the host, so the
// guest's init needs no xz or zstd support (7.2's modules are .ko.xz; 6.1's are plain .ko).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface ModuleFile {
  name: string;
  /** The file's name in the initramfs (always uncompressed .ko). */
  fileName: string;
  bytes: Buffer;
}

const normalise = (name: string) => name.replace(/-/g, '_');
const MODULE_FILE = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/;

function indexModules(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const m = MODULE_FILE.exec(entry.name);
        if (m) index.set(normalise(m[1]), full);
      }
    }
  };
  walk(path.join(modulesDir, 'kernel'));
  return index;
}

function builtins(modulesDir: string): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(path.join(modulesDir, 'modules.builtin'), 'utf8').split('\n')) {
    const m = MODULE_FILE.exec(path.basename(line.trim()));
    if (m) names.add(normalise(m[1]));
  }
  return names;
}

export function decompressModule(file: string): Buffer {
  if (file.endsWith('.ko')) return readFileSync(file);
  if (file.endsWith('.gz')) return gunzipSync(readFileSync(file));
  const tool = file.endsWith('.xz') ? 'xz' : 'zstd';
  try {
    return execFileSync(tool, ['-dc', file], { maxBuffer: 256 << 20 });
  } catch (e) {
    throw new Error(`cannot decompress ${file} with ${tool} (apt-get install ${tool === 'xz' ? 'xz-utils' : 'zstd'}): ${(e as Error).message}`);
  }
}

/** The NUL-separated key=value strings of an ELF64 module's .modinfo section. */
export function readModinfo(elf: Buffer): Map<string, string[]> {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) throw new Error('not an ELF64 module');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) };
  };
  const strtab = section(shstrndx);
  const info = new Map<string, string[]>();
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const nameEnd = elf.indexOf(0, strtab.offset + s.name);
    if (elf.toString('latin1', strtab.offset + s.name, nameEnd) !== '.modinfo') continue;
    for (const entry of elf.toString('latin1', s.offset, s.offset + s.size).split('\0')) {
      const eq = entry.indexOf('=');
      if (eq < 0) continue;
      const key = entry.slice(0, eq);
      info.set(key, [...(info.get(key) ?? []), entry.slice(eq + 1)]);
    }
  }
  return info;
}

function dependencies(info: Map<string, string[]>): string[] {
  const hard = (info.get('depends') ?? []).flatMap((d) => d.split(',')).filter(Boolean);
  // "softdep=pre: crc32c post: foo": only the pre- ones must be there before the module loads.
  const soft = (info.get('softdep') ?? []).flatMap((s) => {
    const pre = /pre:\s*([^:]*?)(\s+post:|$)/.exec(s);
    return pre ? pre[1].split(/\s+/).filter(Boolean) : [];
  });
  return [...hard, ...soft.map((name) => `?${name}`)];
}

/**
 * The modules to load for `wanted` (names as modprobe takes them), dependencies first,
 * skipping those built into the kernel. Unknown names are an error; unknown soft
 * dependencies are skipped.
 */
export function resolveModules(modulesDir: string, wanted: string[]): ModuleFile[] {
  const index = indexModules(modulesDir);
  const builtIn = builtins(modulesDir);
  const ordered: ModuleFile[] = [];
  const seen = new Set<string>();
  const visit = (rawName: string, chain: string[]) => {
    const optional = rawName.startsWith('?');
    const name = normalise(optional ? rawName.slice(1) : rawName);
    if (seen.has(name) || builtIn.has(name)) return;
    const file = index.get(name);
    if (!file) {
      if (optional) return;
      const why = chain.length ? ` (needed by ${chain.join(' ← ')})` : '';
      throw new Error(`module ${name}${why} is neither built into this kernel nor in ${modulesDir}`);
    }
    seen.add(name);
    const bytes = decompressModule(file);
    for (const dep of dependencies(readModinfo(bytes))) visit(dep, [name, ...chain]);
    ordered.push({ name, fileName: `${name}.ko`, bytes });
  };
  for (const name of wanted) visit(name, []);
  return ordered;
}
