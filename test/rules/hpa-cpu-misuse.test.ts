import { describe, expect, it } from 'vitest';
import type { AnalysisContext, HpaFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { hpaCpuMisuse } from '../../rules/hpa-cpu-misuse';
import { context, daily, END, fleet, hpa, POINTS, pool, service, STEP, timeline, workload } from './fixtures';

/**
 * The order shape (CPU HPA at 70 %, CPU near 27 % at its three minimum replicas while p99 climbs on
 * a full HikariCP pool every evening) against the frontend shape (latency follows CPU, replicas
 * follow the daily wave) and the ways "CPU is low while latency is bad" can mislead: a quiet night,
 * one short blip, an HPA that already scales on its own signal.
 */
const orderHpa = (over: Partial<HpaFacts> = {}): HpaFacts =>
  hpa({
    namespace: 'checkout',
    name: 'order',
    minReplicas: 3,
    maxReplicas: 12,
    metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.7 }],
    ...over,
    timeline: {
      current: timeline(() => 3, { query: 'hpa_replicas_query' }),
      desired: null,
      cpuUtilization: timeline(daily(0.15, 0.27), { query: 'hpa_cpu_query' }),
      ...over.timeline,
    },
  });

/** p99 at 1.5 s for three evening hours, 0.2 s otherwise; traffic peaks at the same time. */
const slowEvenings = service({ namespace: 'checkout', name: 'order', p99: timeline(daily(0.2, 1.5)), rps: timeline(daily(50, 180)) });
const fullPool = pool({
  kind: 'hikaricp',
  workload: 'order',
  owner: { namespace: 'checkout', workload: 'order', workloadType: 'Deployment' },
  size: 10,
  timeline: { utilization: timeline(daily(0.3, 1), { query: 'pool_util_query' }), waiting: timeline(daily(0, 24), { query: 'pool_waiting_query' }), timeouts: timeline(daily(0, 0.5)), wait: null },
});

/** Between 02:00 and 06:00 UTC: the quiet hours. */
const night = (i: number): boolean => {
  const hour = (((END - (POINTS - 1 - i) * STEP) % 86400) + 86400) % 86400 / 3600;
  return hour >= 2 && hour < 6;
};

interface Case {
  name: string;
  ctx: AnalysisContext;
  fires: boolean;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'order: CPU 27 % of a 70 % target at min replicas while the pool is full and p99 is 1.5 s',
    ctx: context({ hpas: [orderHpa()], services: [slowEvenings], pools: [fullPool] }),
    fires: true,
    summary: [/target 70 %/, /CPU sat at 27 %/, /below 42 %/, /at 3 replicas \(min 3, max 12\)/, /p99 1\.5 s/, /vs 200 ms typical/, /HikariCP pool HikariPool-1/, /up to 24 waiting/, /22\.2 h of degraded latency at busy hours \(7 episodes\)/],
  },
  {
    name: 'nothing saturated on the workload: it waits on something outside',
    ctx: context({ hpas: [orderHpa()], services: [slowEvenings] }),
    fires: true,
    summary: [/waits on something outside it/],
  },
  {
    name: 'no CPU in the HPA status: Σ used ÷ Σ requested of its pods instead',
    ctx: context({
      hpas: [orderHpa({ timeline: { current: timeline(() => 3), desired: null, cpuUtilization: null } })],
      services: [slowEvenings],
      workloads: [workload({ namespace: 'checkout', name: 'order', timeline: { cpuUtilization: timeline(daily(0.15, 0.25), { query: 'workload_cpu_query' }) } })],
    }),
    fires: true,
    summary: [/CPU sat at 25 %/],
  },
  {
    name: 'a CPU limit throttles it: named as what it waits on',
    ctx: context({
      hpas: [orderHpa()],
      services: [slowEvenings],
      workloads: [workload({ namespace: 'checkout', name: 'order', timeline: { throttledRatio: timeline(daily(0.02, 0.6), { query: 'throttled_query' }) } })],
    }),
    fires: true,
    summary: [/CPU limit throttles 60 %/],
  },
  {
    name: 'CPU and memory HPA: memory does not track latency either',
    ctx: context({ hpas: [orderHpa({ metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.7 }, { name: 'memory', targetType: 'utilization', target: 0.8 }] })], services: [slowEvenings] }),
    fires: true,
  },
  // Must not fire.
  {
    name: 'frontend: latency follows CPU, which reaches its target at the peak',
    ctx: context({ hpas: [orderHpa({ timeline: { current: timeline(daily(3, 8)), desired: null, cpuUtilization: timeline(daily(0.3, 0.75)) } })], services: [slowEvenings] }),
    fires: false,
  },
  {
    name: 'frontend: p99 steady through the daily wave',
    ctx: context({ hpas: [orderHpa()], services: [service({ namespace: 'checkout', name: 'order', p99: timeline(daily(0.15, 0.21)), rps: timeline(daily(50, 180)) })] }),
    fires: false,
  },
  {
    name: 'CPU-bound at min: CPU just under its target (65 % of 70 %) whenever p99 climbs',
    ctx: context({ hpas: [orderHpa({ timeline: { current: timeline(() => 3), desired: null, cpuUtilization: timeline(daily(0.3, 0.65)) } })], services: [slowEvenings] }),
    fires: false,
  },
  {
    name: 'slow at night with a trickle of traffic: not a capacity question',
    ctx: context({ hpas: [orderHpa()], services: [service({ namespace: 'checkout', name: 'order', p99: timeline((i) => (night(i) ? 1.5 : 0.2)), rps: timeline((i) => (night(i) ? 10 : 150)) })] }),
    fires: false,
  },
  {
    name: 'one twenty-minute blip in a week',
    ctx: context({ hpas: [orderHpa()], services: [service({ namespace: 'checkout', name: 'order', p99: timeline((i) => (i === 500 || i === 501 ? 1.5 : 0.2)), rps: timeline(() => 100) })] }),
    fires: false,
  },
  {
    name: 'already scales on requests per second as well',
    ctx: context({ hpas: [orderHpa({ metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.7 }, { name: 'http_requests_per_second', targetType: 'average', target: 50 }] })], services: [slowEvenings] }),
    fires: false,
  },
  {
    name: 'not a CPU HPA (Kafka lag via KEDA)',
    ctx: context({ hpas: [orderHpa({ metrics: [{ name: 's0-kafka-order_placed', targetType: 'average', target: 100 }] })], services: [slowEvenings] }),
    fires: false,
  },
  {
    name: 'replicas well above min through the slow periods: something else drives the HPA',
    ctx: context({ hpas: [orderHpa({ timeline: { current: timeline(daily(3, 9)), desired: null, cpuUtilization: timeline(daily(0.15, 0.27)) } })], services: [slowEvenings] }),
    fires: false,
  },
  // Not evaluated.
  {
    name: 'no HTTP metrics for the scale target',
    ctx: context({ hpas: [orderHpa()] }),
    fires: false,
    notEvaluated: /no p99 timeline for checkout\/order: no HTTP server metrics map to it/,
  },
  {
    name: 'HTTP metrics without buckets',
    ctx: context({ hpas: [orderHpa()], services: [service({ namespace: 'checkout', name: 'order' })] }),
    fires: false,
    notEvaluated: /its HTTP metrics have no histogram buckets/,
  },
  {
    name: 'no CPU utilisation anywhere',
    ctx: context({ hpas: [orderHpa({ timeline: { current: null, desired: null, cpuUtilization: null } })], services: [slowEvenings] }),
    fires: false,
    notEvaluated: /no CPU utilisation timeline for checkout\/order/,
  },
  {
    name: 'what it scales on is unknown',
    ctx: context({ hpas: [orderHpa({ metrics: [] })], services: [slowEvenings] }),
    fires: false,
    notEvaluated: /what the HPA scales on/,
  },
  {
    name: 'scale target unknown',
    ctx: context({ hpas: [{ ...orderHpa(), target: null }], services: [slowEvenings] }),
    fires: false,
    notEvaluated: /the scale target/,
  },
  {
    name: 'no HPA metrics and no Kubernetes objects: unknown, not "no autoscalers"',
    ctx: context({ missingFeatures: ['hpa'] }),
    fires: false,
    notEvaluated: /hpa metrics are missing/,
  },
];

describe('hpa-cpu-misuse', () => {
  it.each(cases)('$name', ({ ctx, fires, summary, notEvaluated }) => {
    const result = hpaCpuMisuse.evaluate(ctx);
    expect(result.findings).toHaveLength(fires ? 1 : 0);
    if (notEvaluated) expect(result.notEvaluated.flatMap((n) => n.missing).join('\n')).toMatch(notEvaluated);
    else expect(result.notEvaluated).toEqual([]);
    const f = result.findings[0];
    if (!f) return;
    expect(f.severity).toBe('warning');
    expect(f.symptomatic).toBe(true);
    expect(f.target).toEqual({ namespace: 'checkout', kind: 'HorizontalPodAutoscaler', name: 'order' });
    expect(f.recommendation).toEqual({ kind: 'hpa', target: { namespace: 'checkout', kind: 'Deployment', name: 'order' } });
    for (const re of summary ?? []) expect(f.summary).toMatch(re);
    expect(f.evidence.length).toBeGreaterThanOrEqual(2);
    for (const e of f.evidence) expect(e.query).not.toBe('');
  });

  it('evidence charts the CPU the HPA saw and the pool it waits on', () => {
    const f = hpaCpuMisuse.evaluate(context({ hpas: [orderHpa()], services: [slowEvenings], pools: [fullPool] })).findings[0];
    expect(f?.evidence.map((e) => e.query)).toEqual(['hpa_cpu_query', 'hpa_replicas_query', 'pool_waiting_query']);
    expect(f?.evidence[0]?.value).toBeCloseTo(0.27);
    expect(f?.evidence[0]?.series?.step).toBe(600);
    expect(f?.remediation).toMatch(/requests per second per pod/);
    expect(f?.remediation).toMatch(/Fix the pool first/);
  });

  it('judges HPAs read from manifests alone, with CPU from the pods', () => {
    const ctx = context({
      missingFeatures: ['hpa'],
      fleet: fleet({}),
      hpas: [orderHpa({ timeline: { current: null, desired: null, cpuUtilization: null } })],
      services: [slowEvenings],
      workloads: [workload({ namespace: 'checkout', name: 'order', timeline: { cpuUtilization: timeline(daily(0.15, 0.25), { query: 'workload_cpu_query' }) } })],
    });
    const { findings, notEvaluated } = runRules(ctx, [hpaCpuMisuse]);
    expect(notEvaluated).toEqual([]);
    expect(findings.map((f) => [f.rule, f.severity, f.target.name])).toEqual([['hpa-cpu-misuse', 'warning', 'order']]);
    expect(findings[0]?.summary).toMatch(/replica count unknown/);
  });
});
