import { describe, expect, it } from 'vitest';
import { hourlyMedians, isSkip, proposeHpa, rankCorrelation, type HpaDecisionInputs, type HpaProposal } from '../../../../core/analysis/recommend/hpa';
import { shareAbove } from '../../../../core/analysis/recommend/backtest';
import { daily, hpa, pool, service, timeline, workload } from '../../../rules/fixtures';

/** Two-valued days: quiet most of the time, busy for three hours around 20:00. */
const busy = (quiet: number, peak: number): ReturnType<typeof timeline> => timeline(daily(quiet, peak));

function inputs(over: Partial<HpaDecisionInputs> & { rps: number[] | ReturnType<typeof timeline>; p99?: ReturnType<typeof timeline>; cpu?: ReturnType<typeof timeline>; replicas?: ReturnType<typeof timeline> }): HpaDecisionInputs {
  const rps = Array.isArray(over.rps) ? timeline(over.rps) : over.rps;
  return {
    workload: over.workload ?? workload({ name: 'api', timeline: { replicas: over.replicas ?? timeline(() => 3), cpuUtilization: over.cpu ?? null } }),
    service: 'service' in over ? over.service : service({ name: 'api', rps, p99: over.p99 ?? timeline(() => 0.1) }),
    hpa: over.hpa,
    pools: over.pools ?? [],
    databases: over.databases ?? [],
    proposedCpuRequest: over.proposedCpuRequest ?? null,
  };
}

describe('proposeHpa', () => {
  it.each([
    ['steady load', { rps: busy(100, 120) }, /load barely varies/],
    ['low traffic', { rps: busy(0.01, 0.05), service: { ...service({ name: 'api', rps: busy(0.01, 0.05) }), report: { ...service({ name: 'api' }).report, lowTraffic: true, rps: 0.02 } } }, /too little traffic/],
  ])('skips %s', (_name, over, reason) => {
    const p = proposeHpa(inputs(over as never));
    expect(p && isSkip(p) && p.reason).toMatch(reason);
  });

  it('proposes nothing for a workload with no HTTP traffic and no HPA', () => {
    expect(proposeHpa(inputs({ rps: [], service: undefined }))).toBeNull();
  });

  it('scales a service whose latency degrades at low CPU on requests per second, sized from healthy throughput', () => {
    // Healthy at 60 rps per pod off-peak; at the peak (180 per pod) p99 is ten times worse while CPU idles.
    const p = proposeHpa(
      inputs({
        rps: busy(180, 540),
        p99: busy(0.1, 1.5),
        cpu: busy(0.2, 0.25),
        hpa: hpa({ name: 'api', minReplicas: 3, maxReplicas: 12 }),
      }),
    ) as HpaProposal;
    expect(p.basis).toBe('requests-per-second');
    expect(p.metric).toEqual({ type: 'Pods', metricName: 'http_requests_per_second', averageValue: 51 });
    expect(p.minReplicas).toBe(4);
    expect(p.maxReplicas).toBe(Math.ceil((540 * 1.5) / 51));
    expect(p.rationale.join(' ')).toMatch(/far below the 70 % target/);
  });

  it('keeps CPU where latency follows it, and keeps the scale point when the request shrinks', () => {
    const load = daily(0.3, 0.9);
    const p = proposeHpa(
      inputs({
        rps: timeline((i) => load(i) * 300),
        p99: timeline((i) => 0.05 + load(i) * 0.02),
        cpu: timeline((i) => load(i) * 0.7),
        hpa: hpa({ name: 'api', minReplicas: 2, maxReplicas: 10 }),
        proposedCpuRequest: 0.2,
      }),
    ) as HpaProposal;
    expect(p.basis).toBe('cpu');
    // The fixture's request is 250m: 70 % of 250m = 175m per pod; 175m of a 200m request is 87.5 %, written as 88 %.
    expect(p.metric).toEqual({ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.88 } });
  });

  it('caps maxReplicas by what the database accepts', () => {
    const p = proposeHpa(
      inputs({
        rps: busy(180, 540),
        p99: busy(0.1, 1.5),
        pools: [pool({ kind: 'hikaricp', workload: 'api', size: 10 })],
        databases: [pool({ kind: 'postgres', workload: 'postgres', size: 97, timeline: { utilization: timeline(() => 0.6) } })],
      }),
    ) as HpaProposal;
    // 97 usable, others hold 0.6 × 97 − 3 pods × 10 ≈ 28: (97 − 28) / 10 → 6.
    expect(p.maxReplicas).toBe(6);
    expect(p.rationale.join(' ')).toMatch(/capped at 6/);
  });

  it('waits a whole load cycle before scaling down where replicas flap', () => {
    const p = proposeHpa(
      inputs({ rps: busy(50, 150), p99: busy(0.1, 0.5), hpa: hpa({ name: 'api', hourly: { changes: timeline((i) => (i % 6 < 3 ? 6 : 0), { step: 3600, points: 168 }), amplitude: null } }) }),
    ) as HpaProposal;
    expect(p.behavior.scaleDown?.stabilizationWindowSeconds).toBe(1200);
  });
});

describe('small helpers', () => {
  it('hourlyMedians takes each hour\'s median', () => {
    const t = timeline([1, 2, 100, 4, 5, 6], { step: 600 });
    expect(hourlyMedians(t.points).sort((a, b) => a - b)).toEqual(expect.arrayContaining([4]));
  });

  it.each([
    [[[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7], [8, 8], [9, 9], [10, 10]], 1],
    [[[1, 10], [2, 9], [3, 8], [4, 7], [5, 6], [6, 5], [7, 4], [8, 3], [9, 2], [10, 1]], -1],
    [[[1, 1], [2, 2]], null],
  ])('rankCorrelation %#', (pairs, r) => {
    const out = rankCorrelation(pairs as Array<[number, number]>);
    if (r === null) expect(out).toBeNull();
    else expect(out).toBeCloseTo(r, 9);
  });

  it.each([
    [0.5, 0.5],
    [1, 0.1],
    [2, 0.01],
    [10, 0],
    [0, 1],
    [1.5, 0.055],
  ])('shareAbove(%s)', (x, share) => {
    expect(shareAbove([[0.5, 0.5], [0.9, 1], [0.99, 2], [1, 3]], x)).toBeCloseTo(share, 9);
  });
});
