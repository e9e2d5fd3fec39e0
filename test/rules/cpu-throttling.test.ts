import { describe, expect, it } from 'vitest';
import type { AnalysisContext, ContainerFacts, WorkloadFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { cpuThrottling } from '../../rules/cpu-throttling';
import { container, context, daily, END, service, STEP, timeline, workload } from './fixtures';

/**
 * Throttling that matters (search: 500m limit, most periods throttled at the evening peak, p99 up)
 * against the shapes that flooded kubernetes-mixin's CPUThrottlingHigh with false positives
 * (#108, prometheus-operator #2063): one burst, steady light throttling, no CPU limit at all.
 */
const limited = (over: Partial<ContainerFacts> = {}): ContainerFacts =>
  container({ name: 'search', requests: { cpu: 0.25, memory: 1024 ** 3 }, limits: { cpu: 0.5, memory: 1024 ** 3 }, throttledRatio: 0.12, cpu: { p50: 0.2, p90: 0.45, p95: 0.48, p99: 0.48, max: 0.48, maxPodP95: 0.48, samples: 30_000, pods: 3 }, ...over });

/** Throttled 60 % of periods for three hours every evening, 2 % otherwise; demand follows. */
const throttledAtPeak = (over: { container?: Partial<ContainerFacts>; throttled?: (i: number) => number | null } = {}): WorkloadFacts =>
  workload({
    namespace: 'storefront',
    name: 'search',
    containers: [limited(over.container)],
    timeline: {
      throttledRatio: timeline(over.throttled ?? daily(0.02, 0.6), { query: 'throttled_ratio_query' }),
      cpuUtilization: timeline(daily(0.8, 1.9), { query: 'cpu_utilization_query' }),
    },
  });

const p99Up = service({ namespace: 'storefront', name: 'search', p99: timeline(daily(0.12, 0.42)) });
const p99Flat = service({ namespace: 'storefront', name: 'search', p99: timeline(() => 0.12) });

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity: 'warning' | 'info' | null;
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  { name: 'throttled at peak and p99 worse while throttled: warning', ctx: context({ workloads: [throttledAtPeak()], services: [p99Up] }), severity: 'warning' },
  { name: 'throttled at peak but p99 flat: kept at info', ctx: context({ workloads: [throttledAtPeak()], services: [p99Flat] }), severity: 'info' },
  { name: 'throttled at peak, no HTTP metrics: info, latency not judged', ctx: context({ workloads: [throttledAtPeak()] }), severity: 'info', notEvaluated: /no HTTP server metrics/ },
  {
    name: 'limit known from the manifests only (no kube-state-metrics limits)',
    ctx: context({
      workloads: [{ ...throttledAtPeak({ container: { limits: { cpu: null, memory: null } } }), spec: { containers: [{ name: 'search', image: null, requests: { cpu: 0.25, memory: null }, limits: { cpu: 0.5, memory: null }, sidecar: false }] } as unknown as WorkloadFacts['spec'] }],
      services: [p99Up],
    }),
    severity: 'warning',
  },
  // Must not fire.
  {
    name: 'no CPU limit (frontend): nothing to throttle',
    ctx: context({ workloads: [throttledAtPeak({ container: { limits: { cpu: null, memory: 512 * 1024 ** 2 } } })], services: [p99Up] }),
    severity: null,
  },
  {
    name: 'limit far above use (catalog): barely throttled',
    ctx: context({ workloads: [throttledAtPeak({ container: { limits: { cpu: 1, memory: 1024 ** 3 }, throttledRatio: 0.001 }, throttled: () => 0.001 })], services: [p99Up] }),
    severity: null,
  },
  {
    name: 'one ten-minute burst of full throttling in a week',
    ctx: context({ workloads: [throttledAtPeak({ throttled: (i) => (i === 500 ? 1 : 0.01) })], services: [p99Up] }),
    severity: null,
  },
  {
    name: 'steady light throttling below 25 % (what CPUThrottlingHigh floods on)',
    ctx: context({ workloads: [throttledAtPeak({ throttled: daily(0.05, 0.2) })], services: [p99Up] }),
    severity: null,
  },
  {
    name: 'throttled above 25 % for only ten minutes a day',
    ctx: context({ workloads: [throttledAtPeak({ throttled: (i) => (i % 144 === 120 ? 0.9 : 0.02) })], services: [p99Up] }),
    severity: null,
  },
  // Not evaluated.
  {
    name: 'a CPU limit but no throttling timeline',
    ctx: context({ workloads: [workload({ namespace: 'storefront', name: 'search', containers: [limited()] })] }),
    severity: null,
    notEvaluated: /no throttling timeline for storefront\/search/,
  },
  {
    name: 'no CFS metrics in the store',
    ctx: context({ workloads: [throttledAtPeak()], services: [p99Up], missingFeatures: ['cpu-throttling'] }),
    severity: null,
    notEvaluated: /cpu-throttling metrics are missing/,
  },
];

describe('cpu-throttling', () => {
  it.each(cases)('$name', ({ ctx, severity, notEvaluated }) => {
    const result = runRules(ctx, [cpuThrottling]);
    if (severity === null) expect(result.findings).toEqual([]);
    else {
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0]?.severity).toBe(severity);
      expect(result.findings[0]?.target).toEqual({ namespace: 'storefront', kind: 'Deployment', name: 'search' });
    }
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' ')).join('\n')).toMatch(notEvaluated);
  });

  it('states the limit, usage against it, the throttled share and p99 on both sides', () => {
    const { findings } = cpuThrottling.evaluate(context({ workloads: [throttledAtPeak()], services: [p99Up] }));
    const f = findings[0];
    expect(f?.symptomatic).toBe(true);
    expect(f?.summary).toContain('CPU limit 500m');
    expect(f?.summary).toContain('usage p95 480m (96 % of the limit; usage cannot pass the limit');
    expect(f?.summary).toContain('60 % of CFS periods throttled in its busiest hours');
    expect(f?.summary).toContain('12 % over the window');
    expect(f?.summary).toContain('p99 420 ms while throttled vs 120 ms otherwise');
    expect(f?.remediation).toMatch(/Remove the CPU limit/);
    expect(f?.remediation).toMatch(/Raise the CPU request from 250m/);
    expect(f?.recommendation).toEqual({ kind: 'resources', target: { namespace: 'storefront', kind: 'Deployment', name: 'search' }, container: 'search' });
  });

  it('cites the queries behind its evidence and charts the throttled share', () => {
    const { findings } = cpuThrottling.evaluate(context({ workloads: [throttledAtPeak()], services: [p99Up] }));
    const evidence = findings[0]?.evidence ?? [];
    expect(evidence.length).toBeGreaterThanOrEqual(2);
    for (const e of evidence) expect(e.query.length).toBeGreaterThan(0);
    expect(evidence[0]?.series).toEqual({ query: 'throttled_ratio_query', start: END - (7 * 86400 - STEP), end: END, step: STEP });
  });

  it('judges the busy hours by the throttled share itself when CPU utilisation is unknown', () => {
    const w = throttledAtPeak();
    const { findings } = cpuThrottling.evaluate(context({ workloads: [{ ...w, timeline: { ...w.timeline, cpuUtilization: null } }], services: [p99Up] }));
    expect(findings[0]?.summary).toContain('60 % of CFS periods throttled in its busiest hours');
  });
});
