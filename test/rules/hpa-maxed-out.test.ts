import { describe, expect, it } from 'vitest';
import type { AnalysisContext, HpaFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { hpaMaxedOut } from '../../rules/hpa-maxed-out';
import { context, daily, hpa, service, timeline } from './fixtures';

/**
 * The inventory shape (at max 4 every evening with CPU far above its 60 % target, p99 up) against
 * the HPAs KubeHpaMaxedOut pages on needlessly: pinned (min == max, kubernetes-mixin #1193), content
 * at max with the metric below target (ScalingLimited=False, helm-charts #7278), max = 1
 * (kyma #15725), a brief touch of the ceiling, and the notifications shape (peaks at 4 of 8).
 */
const inventoryHpa = (over: Partial<HpaFacts> = {}): HpaFacts =>
  hpa({
    namespace: 'storefront',
    name: 'inventory',
    minReplicas: 2,
    maxReplicas: 4,
    metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.6 }],
    ...over,
    timeline: {
      current: timeline(daily(2, 4, 6), { query: 'hpa_replicas_query' }),
      desired: null,
      cpuUtilization: timeline(daily(0.4, 0.9, 6), { query: 'hpa_cpu_query' }),
      ...over.timeline,
    },
  });

/** p99 0.6 s while at max, 0.13 s otherwise. */
const slowAtMax = service({ namespace: 'storefront', name: 'inventory', p99: timeline(daily(0.13, 0.6, 6)), errorRatio: timeline(() => 0) });
const flat = service({ namespace: 'storefront', name: 'inventory', p99: timeline(() => 0.13), errorRatio: timeline(() => 0) });

interface Case {
  name: string;
  ctx: AnalysisContext;
  /** Severity after the engine (weak signal: info unless symptomatic); null = no finding. */
  severity: 'critical' | 'warning' | 'info' | null;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'inventory: at max 4 six hours every evening, CPU 90 % vs 60 %, p99 up',
    ctx: context({ hpas: [inventoryHpa()], services: [slowAtMax] }),
    severity: 'warning',
    summary: [/maxReplicas 4 for 43\.2 h this window; for 43\.2 h of it/, /CPU stood at 90 %/, /its 60 % target/, /implied up to 6 replicas/, /p99 600 ms while held at max/, /vs 130 ms otherwise, degraded \(twice its typical p99 or worse\) for 43\.2 h while held/, /8 episodes of 15 min or more, longest 6\.2 h/],
  },
  {
    name: 'at max with the SLO paging: critical',
    ctx: context({ hpas: [inventoryHpa()], services: [{ ...slowAtMax, report: { ...slowAtMax.report, slo: { ...slowAtMax.report.slo, alert: 'page' } } }] }),
    severity: 'critical',
  },
  {
    name: 'errors rise while held at max, latency flat',
    ctx: context({ hpas: [inventoryHpa()], services: [service({ namespace: 'storefront', name: 'inventory', p99: timeline(() => 0.13), errorRatio: timeline(daily(0, 0.02, 6)) })] }),
    severity: 'warning',
    summary: [/errors 2\.00 % while held vs 0\.00 % otherwise/],
  },
  {
    name: 'at max and limited, but users feel nothing: kept at info',
    ctx: context({ hpas: [inventoryHpa()], services: [flat] }),
    severity: 'info',
  },
  {
    name: 'at max and limited, no HTTP metrics: info, latency not judged',
    ctx: context({ hpas: [inventoryHpa()] }),
    severity: 'info',
    summary: [/latency of storefront\/inventory not judged \(no HTTP server metrics map to it\)/],
  },
  {
    name: 'an HPA on requests per second, at max with 75 per pod against a 50 target (kube-state-metrics status)',
    ctx: context({
      hpas: [inventoryHpa({ metrics: [{ name: 'http_requests_per_second', targetType: 'average', target: 50 }], metricTimelines: [{ name: 'http_requests_per_second', targetType: 'average', timeline: timeline(daily(30, 75, 6), { query: 'hpa_metric_query' }) }] })],
      services: [slowAtMax],
    }),
    severity: 'warning',
    summary: [/http_requests_per_second stood at 75 per pod \(median; up to 75\) vs its 50 target/, /implied up to 6 replicas/],
  },
  {
    name: 'CPU content but memory, also read, above its target: memory holds it at max',
    ctx: context({
      hpas: [inventoryHpa({
        metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.6 }, { name: 'memory', targetType: 'utilization', target: 0.8 }],
        metricTimelines: [{ name: 'memory', targetType: 'utilization', timeline: timeline(daily(0.5, 1.2, 6)) }],
        timeline: { current: timeline(daily(2, 4, 6)), desired: null, cpuUtilization: timeline(daily(0.3, 0.5, 6)) },
      })],
      services: [slowAtMax],
    }),
    severity: 'warning',
    summary: [/memory stood at 120 % of requests/, /its 80 % target/],
  },
  // Must not fire.
  {
    name: 'an HPA on requests per second, at max but within target there',
    ctx: context({
      hpas: [inventoryHpa({ metrics: [{ name: 'http_requests_per_second', targetType: 'average', target: 50 }], metricTimelines: [{ name: 'http_requests_per_second', targetType: 'average', timeline: timeline(daily(20, 48, 6)) }] })],
      services: [slowAtMax],
    }),
    severity: null,
  },
  {
    name: 'pinned: min == max (kubernetes-mixin #1193)',
    ctx: context({ hpas: [inventoryHpa({ minReplicas: 4 })], services: [slowAtMax] }),
    severity: null,
  },
  {
    name: 'max = 1 (kyma #15725)',
    ctx: context({ hpas: [inventoryHpa({ minReplicas: 1, maxReplicas: 1, timeline: { current: timeline(() => 1), desired: null, cpuUtilization: timeline(() => 1.5) } })], services: [slowAtMax] }),
    severity: null,
  },
  {
    name: 'content at max: CPU below target there (ScalingLimited=False, helm-charts #7278)',
    ctx: context({ hpas: [inventoryHpa({ timeline: { current: timeline(daily(2, 4, 6)), desired: null, cpuUtilization: timeline(daily(0.3, 0.5, 6)) } })], services: [slowAtMax] }),
    severity: null,
  },
  {
    name: 'at max within the 10 % tolerance (65 % vs 60 %)',
    ctx: context({ hpas: [inventoryHpa({ timeline: { current: timeline(daily(2, 4, 6)), desired: null, cpuUtilization: timeline(daily(0.3, 0.65, 6)) } })], services: [slowAtMax] }),
    severity: null,
  },
  {
    name: 'touches max for ten minutes at a time',
    ctx: context({ hpas: [inventoryHpa({ timeline: { current: timeline((i) => (i % 144 === 120 ? 4 : 3)), desired: null, cpuUtilization: timeline(() => 1.2) } })], services: [slowAtMax] }),
    severity: null,
  },
  {
    name: 'notifications: peaks at 4 of 8',
    ctx: context({ hpas: [inventoryHpa({ maxReplicas: 8, timeline: { current: timeline(daily(2, 4, 6)), desired: null, cpuUtilization: timeline(daily(0.4, 0.9, 6)) } })], services: [slowAtMax] }),
    severity: null,
  },
  // Not evaluated.
  {
    name: 'no replica history',
    ctx: context({ hpas: [inventoryHpa({ timeline: { current: null, desired: null, cpuUtilization: null } })] }),
    severity: null,
    notEvaluated: /replica history/,
  },
  {
    name: 'at max, scaling on a metric Headroom has no timeline of',
    ctx: context({ hpas: [inventoryHpa({ metrics: [{ name: 'http_requests_per_second', targetType: 'average', target: 50 }] })], services: [slowAtMax] }),
    severity: null,
    notEvaluated: /its metric \(http_requests_per_second\) \(kube_horizontalpodautoscaler_status_target_metric\)/,
  },
  {
    name: 'at max, CPU within target, but memory may hold it there',
    ctx: context({
      hpas: [inventoryHpa({ metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.6 }, { name: 'memory', targetType: 'utilization', target: 0.8 }], timeline: { current: timeline(daily(2, 4, 6)), desired: null, cpuUtilization: timeline(daily(0.3, 0.5, 6)) } })],
      services: [slowAtMax],
    }),
    severity: null,
    notEvaluated: /whether memory holds the HPA at max 4/,
  },
  {
    name: 'at max, what it scales on unknown',
    ctx: context({ hpas: [inventoryHpa({ metrics: [] })], services: [slowAtMax] }),
    severity: null,
    notEvaluated: /what the HPA scales on/,
  },
];

describe('hpa-maxed-out', () => {
  it.each(cases)('$name', ({ ctx, severity, summary, notEvaluated }) => {
    const { findings, notEvaluated: skipped } = runRules(ctx, [hpaMaxedOut]);
    expect(findings.map((f) => f.severity)).toEqual(severity ? [severity] : []);
    if (notEvaluated) expect(skipped.flatMap((n) => n.missing).join('\n')).toMatch(notEvaluated);
    else expect(skipped).toEqual([]);
    const f = findings[0];
    if (!f) return;
    expect(f.target).toEqual({ namespace: 'storefront', kind: 'HorizontalPodAutoscaler', name: 'inventory' });
    for (const re of summary ?? []) expect(f.summary).toMatch(re);
    expect(f.evidence.length).toBeGreaterThanOrEqual(2);
    for (const e of f.evidence) expect(e.query).not.toBe('');
  });

  it('says what maxReplicas the metric implies and links the hpa recommendation', () => {
    const [f] = hpaMaxedOut.evaluate(context({ hpas: [inventoryHpa()], services: [slowAtMax] })).findings;
    expect(f?.symptomatic).toBe(true);
    expect(f?.remediation).toMatch(/Raise maxReplicas from 4 to at least 6/);
    expect(f?.remediation).toMatch(/hpa-amplifies-db/);
    expect(f?.recommendation).toEqual({ kind: 'hpa', target: { namespace: 'storefront', kind: 'Deployment', name: 'inventory' } });
    expect(f?.evidence.map((e) => e.query)).toEqual(['hpa_replicas_query', 'hpa_cpu_query']);
    expect(f?.evidence[1]?.value).toBeCloseTo(0.9);
  });

  it('is a weak signal', () => {
    expect(hpaMaxedOut.meta.weakSignal).toBe(true);
  });
});
