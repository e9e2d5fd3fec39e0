import { describe, expect, it } from 'vitest';
import { consumerGroupsOf, hourlyMedians, isSkip, LAG_METRIC, proposeHpa, rankCorrelation, type HpaDecisionInputs, type HpaProposal, type HpaSkip } from '../../../../core/analysis/recommend/hpa';
import { shareAbove } from '../../../../core/analysis/recommend/backtest';
import { consumerGroup, daily, hpa, pool, service, timeline, workload } from '../../../rules/fixtures';

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
    consumerGroups: over.consumerGroups ?? [],
  };
}

/** A worker consuming `orders` (six partitions, 50 messages/s on average): production quiet by day, busy at 20:00. */
function worker(over: { quiet?: number; peak?: number; lags?: number[]; lag?: ReturnType<typeof timeline>; partitions?: number; replicas?: number } = {}): HpaDecisionInputs {
  const production = busy(over.quiet ?? 20, over.peak ?? 200);
  const group = consumerGroup({
    group: 'mailer',
    topic: 'orders',
    lags: over.lags ?? Array.from({ length: over.partitions ?? 6 }, () => 10),
    lag: over.lag ?? timeline(() => 60),
    production,
    produceRate: 50,
  });
  return inputs({
    rps: [],
    service: undefined,
    replicas: timeline(() => over.replicas ?? 2),
    consumerGroups: [group],
  });
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

describe('proposeHpa for Kafka consumers', () => {
  it('scales a worker with no HTTP traffic on its group\'s lag: a minute of per-pod throughput, bounded by the partitions', () => {
    const p = proposeHpa(worker()) as HpaProposal;
    expect(p.basis).toBe('consumer-lag');
    // Kept up throughout (lag 60 < 60 s × production): p95 per pod = 200 / 2 = 100/s; 85 % = 85/s; a minute = 5,100.
    expect(p.metric).toEqual({ type: 'External', metricName: LAG_METRIC, selector: { matchLabels: { namespace: 'kafka', consumergroup: 'mailer', topic: 'orders' } }, target: { type: 'AverageValue', averageValue: 5100 } });
    // The peak 200/s with 50 % headroom needs ceil(300 / 85) = 4; quiet needs 1, so the minimum of 2.
    expect([p.minReplicas, p.maxReplicas]).toEqual([2, 4]);
  });

  it('stops maxReplicas at the partition count, and says why', () => {
    // The group falls far behind at the peak, so capacity comes from quiet hours: 20/s per pod, 17/s at 85 %.
    const p = proposeHpa(worker({ peak: 1000, partitions: 3, replicas: 1, lag: busy(60, 1_000_000) })) as HpaProposal;
    expect(p.metric).toMatchObject({ target: { averageValue: 17 * 60 } });
    expect(p.maxReplicas).toBe(3);
    expect(p.rationale.join(' ')).toMatch(/capped at 3, the partition count/);
  });

  it('raises the target above the lag each pod carries in flight while keeping up, so the HPA does not sit at max', () => {
    // 2,000 messages in flight at 20/s quiet production is more than a minute (1,200): those steps did not keep up;
    // at the peak (200/s) 8,000 is under a minute of production (12,000): kept up, holding 4,000 per pod.
    const p = proposeHpa(worker({ lag: busy(2000, 8000) })) as HpaProposal;
    expect(p.metric).toMatchObject({ target: { averageValue: 6000 } });
  });

  it.each([
    ['lag piled on one partition', { lags: [10, 10, 90_000, 10, 10, 10] }, /piles on partition 2 of orders.*more consumers cannot drain it/],
    ['a single partition', { partitions: 1 }, /one partition/],
    ['steady production', { quiet: 100, peak: 120 }, /production for mailer on orders barely varies/],
  ])('skips a worker with %s', (_name, over, reason) => {
    const p = proposeHpa(worker(over));
    expect(p && isSkip(p) && p.reason).toMatch(reason);
  });

  it('picks the larger load, HTTP or the queue, and says why not lag when lag is concentrated', () => {
    const http = (quiet: number, peak: number): ReturnType<typeof service> => {
      const s = service({ name: 'api', rps: busy(quiet, peak), p99: busy(0.1, 0.5) });
      return { ...s, report: { ...s.report, rps: (quiet + peak) / 2 } };
    };
    // 360 requests/s against 50 messages/s: HTTP is the load, whatever the lag.
    expect((proposeHpa({ ...worker(), service: http(180, 540) }) as HpaProposal).basis).toBe('requests-per-second');
    // 4 requests/s against 50 messages/s: the queue is the load...
    expect((proposeHpa({ ...worker(), service: http(2, 6) }) as HpaProposal).basis).toBe('consumer-lag');
    // ...unless its lag sits on one partition, which more consumers cannot drain: then HTTP, saying why.
    const p = proposeHpa({ ...worker({ lags: [10, 10, 90_000, 10, 10, 10] }), service: http(2, 6) }) as HpaProposal;
    expect(p.basis).toBe('requests-per-second');
    expect(p.rationale[0]).toMatch(/not consumer lag: mailer's lag piles on partition 2/);
  });

  it('says what is missing without production or lag over time', () => {
    const p = proposeHpa({ ...worker(), consumerGroups: [{ ...consumerGroup({ group: 'mailer', topic: 'orders', lags: [1, 1] }), production: null }] }) as HpaSkip;
    expect(p.reason).toMatch(/no production or lag over time for mailer on orders/);
  });
});

describe('consumerGroupsOf', () => {
  const w = (namespace: string, name: string, kind = 'Deployment'): ReturnType<typeof workload> => workload({ namespace, name, kind });
  it.each([
    ['the group named after the workload', [w('shop', 'mailer')], 'mailer', 'kafka', 'shop/mailer'],
    ['a -consumer suffix', [w('shop', 'mailer')], 'mailer-consumer', 'kafka', 'shop/mailer'],
    ['a .group suffix', [w('shop', 'mailer')], 'mailer.group', 'kafka', 'shop/mailer'],
    ['no workload of that name', [w('shop', 'mailer')], 'billing', 'kafka', null],
    ['the same name in two namespaces, neither the group\'s', [w('shop', 'mailer'), w('staging', 'mailer')], 'mailer', 'kafka', null],
    ['the same name in two namespaces, one the group\'s', [w('shop', 'mailer'), w('staging', 'mailer')], 'mailer', 'staging', 'staging/mailer'],
    ['a DaemonSet, which an HPA cannot scale', [w('shop', 'mailer', 'DaemonSet')], 'mailer', 'kafka', null],
  ])('%s', (_name, workloads, group, namespace, owner) => {
    const out = consumerGroupsOf(workloads, [consumerGroup({ namespace, group, topic: 'orders', lags: [1] })]);
    const found = [...out.keys()].map((k) => `${k.key.namespace}/${k.key.workload}`);
    expect(found).toEqual(owner ? [owner] : []);
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
