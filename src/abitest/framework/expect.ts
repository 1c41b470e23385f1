// Expectations with messages that say what was done, what the ABI requires and what came back:
//   "WAIT_ANY with count 65: expected EINVAL (22), got ENOTTY (25)"
import { describeErrno, describeResult } from './errno-names';
import { fail } from './failure';

/** Small numbers in decimal, large ones (sentinels, u32 limits) in hex too. */
export function formatValue(v: number | bigint | boolean | string | undefined): string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0x10000) return `${v} (0x${v.toString(16)})`;
  if (typeof v === 'bigint') return `${v} (0x${v.toString(16)})`;
  return String(v);
}

export function expectErrno(ret: number, errno: number, what: string): void {
  if (ret !== -errno) fail(`${what}: expected ${describeErrno(errno)}, got ${describeResult(ret)}`);
}

/** The call must succeed; returns its (non-negative) result. */
export function expectSuccess(ret: number, what: string): number {
  if (ret < 0) fail(`${what}: expected success, got ${describeResult(ret)}`);
  return ret;
}

/** The call must return exactly `value` (0 for most ioctls). */
export function expectReturn(ret: number, value: number, what: string): void {
  if (ret !== value) fail(`${what}: expected ${value === 0 ? 'success (0)' : describeResult(value)}, got ${describeResult(ret)}`);
}

export function expectEqual<T extends number | bigint | boolean | string>(actual: T, expected: T, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${formatValue(expected)}, got ${formatValue(actual)}`);
}

export function expectTrue(cond: boolean, message: string): void {
  if (!cond) fail(message);
}

export function expectBytesEqual(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  if (hex(actual) !== hex(expected)) fail(`${what}: expected bytes ${hex(expected)}, got ${hex(actual)}`);
}
