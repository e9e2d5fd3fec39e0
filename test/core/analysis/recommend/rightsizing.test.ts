import { describe, expect, it } from 'vitest';
import { confidenceOf, DEFAULT_RIGHTSIZING, rightsize, type RightsizingOptions } from '../../../../core/analysis/recommend/rightsizing';
import { container } from '../../../rules/fixtures';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;
const opts = (o: Partial<RightsizingOptions> = {}): RightsizingOptions => ({ ...DEFAULT_RIGHTSIZING, ...o });

describe('rightsize', () => {
  it.each([
    // name, container, options, expected cpu request, cpu limit, memory request, memory limit
    ['pooled p95 + 10 %, no CPU limit, peak + 15 %', container({ cpu: { p95: 0.2 }, memoryMax: 200 * Mi, limits: { cpu: 1, memory: 512 * Mi } }), opts(), 0.22, null, 230 * Mi, 230 * Mi],
    ['p99 when asked', container({ cpu: { p99: 0.3 } }), opts({ cpuPercentile: 0.99 }), 0.33, null, 230 * Mi, 230 * Mi],
    ['floors an idle container', container({ cpu: { p95: 0.001 }, memoryMax: 5 * Mi }), opts(), 0.01, null, 32 * Mi, 32 * Mi],
    ['CPU limit as a ratio', container({ cpu: { p95: 0.2 } }), opts({ cpuLimitPolicy: 'ratio', cpuLimitRatio: 2 }), 0.22, 0.44, 230 * Mi, 230 * Mi],
    ['krr simple: largest per-pod p95, 100 MiB floor', container({ cpu: { maxPodP95: 0.3 }, memoryMax: 50 * Mi }), opts({ strategy: 'krr-simple' }), 0.3, null, 100 * Mi, 100 * Mi],
    ['VPA-like: p90 × 1.15, 250 MiB floor, proportional limits', container({ cpu: { p90: 0.2 }, requests: { cpu: 0.5, memory: 256 * Mi }, limits: { cpu: 1, memory: 512 * Mi }, memoryMax: 300 * Mi }), opts({ strategy: 'vpa-like' }), 0.23, 0.46, 345 * Mi, 690 * Mi],
  ])('%s', (_name, c, o, cpuRequest, cpuLimit, memRequest, memLimit) => {
    const p = rightsize(c, o);
    expect(p.proposed.cpu.request).toBeCloseTo(cpuRequest, 3);
    if (cpuLimit === null) expect(p.proposed.cpu.limit).toBeNull();
    else expect(p.proposed.cpu.limit).toBeCloseTo(cpuLimit, 3);
    expect(p.proposed.memory.request).toBe(Math.ceil(memRequest / Mi) * Mi);
    expect(p.proposed.memory.limit).toBe(Math.ceil(memLimit / Mi) * Mi);
    expect(p.gaps).toEqual([]);
  });

  it('goes above the limit that was in force after OOM kills, because the true peak was never scraped', () => {
    const c = container({ memoryMax: 500 * Mi, limits: { memory: 512 * Mi }, oomKills: 3 });
    const p = rightsize(c, opts());
    expect(p.proposed.memory.request).toBe(Math.ceil((512 * 1.2 * Mi) / Mi) * Mi);
    expect(p.rationale.join(' ')).toContain('3 OOM kills');
    expect(rightsize(c, opts({ strategy: 'krr-simple' })).proposed.memory.request).toBe(Math.ceil((500 * 1.15 * Mi) / Mi) * Mi);
    expect(rightsize(c, opts({ strategy: 'vpa-like' })).proposed.memory.request).toBeGreaterThan(512 * Mi);
  });

  it('asks for more CPU than a throttled container could use', () => {
    const c = container({ cpu: { p95: 0.48 }, requests: { cpu: 0.25 }, limits: { cpu: 0.5 }, throttledRatio: 0.45 });
    const p = rightsize(c, opts());
    expect(p.proposed.cpu.request).toBeCloseTo(0.725, 3);
    expect(p.proposed.cpu.limit).toBeNull();
    expect(p.rationale.join(' ')).toContain('throttled in 45 %');
  });

  it('keeps a mildly throttled container on its usage', () => {
    const p = rightsize(container({ cpu: { p95: 0.2 }, limits: { cpu: 1 }, throttledRatio: 0.02 }), opts());
    expect(p.proposed.cpu.request).toBeCloseTo(0.22, 3);
  });

  it('says what it could not propose instead of inventing numbers', () => {
    const c = container({ cpu: { p50: null, p90: null, p95: null, p99: null, max: null, maxPodP95: null, samples: 0, pods: 0 }, memoryMax: null });
    const p = rightsize(c, opts());
    expect(p.gaps).toEqual(['no CPU usage samples in the window', 'no memory samples in the window']);
    expect(p.proposed).toEqual(p.current);
    expect(p.confidence).toBe(0);
  });
});

describe('start-up and daily peaks', () => {
  it('sizes VPA-like memory from the p90 of daily peaks, not the single highest sample', () => {
    const c = container({ memoryMax: 900 * Mi, memoryDailyPeakP90: 600 * Mi, limits: { memory: Gi } });
    expect(rightsize(c, opts({ strategy: 'vpa-like' })).proposed.memory.request).toBe(Math.ceil(600 * 1.15) * Mi);
    expect(rightsize(c, opts()).proposed.memory.request).toBe(Math.ceil(900 * 1.15) * Mi);
  });

  it('keeps start-up bursts out of the request but says so, and covers them with a throttling-based limit', () => {
    const c = container({ cpu: { p95: 0.1, p99: 0.12, startupMax: 1.2 } });
    const p = rightsize(c, opts());
    expect(p.proposed.cpu.request).toBeCloseTo(0.11, 3);
    expect(p.rationale.join(' ')).toMatch(/start-up bursts up to 1\.2 .*borrow idle CPU/);
    expect(rightsize(c, opts({ cpuLimitPolicy: 'from-throttling' })).proposed.cpu.limit).toBeCloseTo(1.2, 3);
  });

  it('notes a memory peak that comes at start-up', () => {
    const p = rightsize(container({ memoryMax: 400 * Mi, memoryStartupMax: 400 * Mi }), opts());
    expect(p.rationale.join(' ')).toMatch(/peak comes at start-up/);
  });
});

describe('confidenceOf', () => {
  it.each([
    [7 * 1440, 60, 1],
    [3.5 * 1440, 60, 0.5],
    [0, 60, 0],
    [30 * 1440, 60, 1],
    [7 * 2880, 30, 1],
  ])('%s samples at %s s → %s', (samples, interval, confidence) => expect(confidenceOf(samples, interval)).toBeCloseTo(confidence, 6));
});
