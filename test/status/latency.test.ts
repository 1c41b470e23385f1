import { LatencyHistogram } from '../../src/status/latency';

test('quantiles come back within the bucket resolution', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i * 1000); // 1 µs .. 1 ms, uniform
  const p50 = h.quantile(0.5);
  const p99 = h.quantile(0.99);
  expect(p50).toBeGreaterThanOrEqual(500_000);
  expect(p50).toBeLessThan(500_000 * 1.13);
  expect(p99).toBeGreaterThanOrEqual(990_000);
  expect(p99).toBeLessThan(990_000 * 1.13);
  expect(h.samples).toBe(1000);
});

test('small values and an empty histogram', () => {
  const h = new LatencyHistogram();
  expect(h.quantile(0.5)).toBe(0);
  h.record(3);
  expect(h.quantile(0.5)).toBe(4);
  for (const v of [9, 17, 33, 1e12]) {
    const one = new LatencyHistogram();
    one.record(v);
    expect(one.quantile(1)).toBeGreaterThanOrEqual(v);
    expect(one.quantile(1)).toBeLessThan(v * 1.13);
  }
});
