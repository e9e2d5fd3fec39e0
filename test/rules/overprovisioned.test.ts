import { describe, expect, it } from 'vitest';
import type { AnalysisContext, ContainerFacts, HpaFacts, WorkloadFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { overprovisioned } from '../../rules/overprovisioned';
import { container, context, fleet, hpa, timeline, workload } from './fixtures';

/**
 * Requests far above a week of use (reporting: 2 cores / 4 GiB for ~0.1 core / ~0.8 GiB), against
 * right-sized workloads, tiny absolute slack, a hot pod, OOM-killed memory, and HPAs that scale on
 * CPU utilisation — where the request is the scaling point, not waste (krr PR #80).
 */
const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

const usage = (p95: number, maxPodP95 = p95, samples = 20_000): ContainerFacts['cpu'] => ({ p50: p95 * 0.6, p90: p95 * 0.9, p95, p99: p95 * 1.2, max: p95 * 1.5, maxPodP95, samples, pods: 2, startupMax: null });

const reporting = (over: Partial<ContainerFacts> = {}, extra: Partial<WorkloadFacts> = {}): WorkloadFacts => ({
  ...workload({
    namespace: 'analytics',
    name: 'reporting',
    containers: [container({ name: 'reporting', cpu: usage(0.1, 0.12), memoryMax: 0.8 * Gi, requests: { cpu: 2, memory: 4 * Gi }, limits: { cpu: null, memory: 4 * Gi }, ...over })],
    timeline: { replicas: timeline(() => 2, { query: 'replicas_query' }), cpuUtilization: timeline(() => 0.05, { query: 'cpu_utilization_query' }) },
  }),
  ...extra,
});

const cpuHpa: HpaFacts = hpa({ namespace: 'analytics', name: 'reporting', metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.7 }] });

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity: 'warning' | 'info' | null;
  summary?: RegExp;
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'reporting: 2 cores / 4 GiB for 0.1 core / 0.8 GiB on two pods — warning',
    ctx: context({ workloads: [reporting()] }),
    severity: 'warning',
    summary: /CPU request 2 cores vs p95 120m used \(6 %\), memory request 4 GiB vs peak 819 MiB \(20 %\)\. Reclaimable: 3\.76 cores and 6\.16 GiB over 2 pods running on average \(1\.88 cores and 3\.08 GiB per pod/,
  },
  {
    name: 'small slack on two pods (0.8 core, memory fine): info',
    ctx: context({ workloads: [reporting({ cpu: usage(0.1), requests: { cpu: 0.5, memory: 1 * Gi }, memoryMax: 700 * Mi })] }),
    severity: 'info',
    summary: /CPU request 500m vs p95 100m used \(20 %\)\. Reclaimable: 800m over 2 pods running on average \(400m per pod\),/,
  },
  {
    name: 'replicas from the spec when no pods timeline',
    ctx: context({ workloads: [reporting({}, { timeline: { replicas: null, cpuUtilization: null, throttledRatio: null, memoryLimitRatio: null }, spec: { replicas: 5, containers: [] } as unknown as WorkloadFacts['spec'] })] }),
    severity: 'warning',
    summary: /over 5 replicas in the spec/,
  },
  {
    name: 'CPU HPA: memory judged alone, CPU left out and why',
    ctx: context({ workloads: [reporting()], hpas: [cpuHpa] }),
    severity: 'warning',
    summary: /^analytics\/reporting requests far more than it uses over 7 days — reporting: memory request 4 GiB vs peak 819 MiB .*CPU requests of analytics\/reporting not judged: HPA reporting scales on CPU utilisation/,
    notEvaluated: /CPU requests of analytics\/reporting not judged: HPA reporting scales on CPU utilisation, so the request sets its scaling point/,
  },
  // Must not fire.
  {
    name: 'right-sized (frontend: 250m for a 180m p95)',
    ctx: context({ workloads: [reporting({ cpu: usage(0.18), requests: { cpu: 0.25, memory: 256 * Mi }, memoryMax: 200 * Mi })] }),
    severity: null,
  },
  {
    name: 'low ratio but tiny absolute slack (200m for 20m; 300 MiB for 100 MiB)',
    ctx: context({ workloads: [reporting({ cpu: usage(0.02), requests: { cpu: 0.2, memory: 300 * Mi }, memoryMax: 100 * Mi })] }),
    severity: null,
  },
  {
    name: 'one hot pod needs the request though the pooled p95 is low',
    ctx: context({ workloads: [reporting({ cpu: usage(0.1, 1.6), memoryMax: 3 * Gi })] }),
    severity: null,
  },
  {
    name: 'OOM-killed (thumbnailer): its low last sample is not memory waste',
    ctx: context({ workloads: [reporting({ cpu: usage(0.05), requests: { cpu: 0.1, memory: 2 * Gi }, memoryMax: 500 * Mi, oomKills: 26 })] }),
    severity: null,
  },
  {
    name: 'CPU HPA and only CPU over: nothing, CPU not evaluated',
    ctx: context({ workloads: [reporting({ memoryMax: 3 * Gi })], hpas: [cpuHpa] }),
    severity: null,
    notEvaluated: /HPA reporting scales on CPU utilisation/,
  },
  {
    name: 'HPA on requests per second does not shelter the CPU request',
    ctx: context({ workloads: [reporting({ memoryMax: 3 * Gi })], hpas: [{ ...cpuHpa, metrics: [{ name: 'http_requests', targetType: 'average', target: 50 }] }] }),
    severity: 'warning',
    summary: /CPU request 2 cores vs p95 120m/,
  },
  // Not evaluated.
  {
    name: 'less than a day of samples',
    ctx: context({ workloads: [reporting({ cpu: usage(0.1, 0.12, 600) })] }),
    severity: null,
    notEvaluated: /container reporting of analytics\/reporting: 600 CPU samples, fewer than 1440/,
  },
  {
    name: 'no cAdvisor CPU in the store',
    ctx: context({ workloads: [reporting()], missingFeatures: ['container-cpu'] }),
    severity: null,
    notEvaluated: /container-cpu metrics are missing/,
  },
];

describe('overprovisioned', () => {
  it.each(cases)('$name', ({ ctx, severity, summary, notEvaluated }) => {
    const result = runRules(ctx, [overprovisioned]);
    if (severity === null) expect(result.findings).toEqual([]);
    else {
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0]?.severity).toBe(severity);
      expect(result.findings[0]?.target).toEqual({ namespace: 'analytics', kind: 'Deployment', name: 'reporting' });
    }
    if (summary) expect(result.findings[0]?.summary).toMatch(summary);
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' ')).join('\n')).toMatch(notEvaluated);
  });

  it('prices the waste, cites its queries and links the resources recommendation', () => {
    const { findings } = overprovisioned.evaluate(context({ workloads: [reporting()] }));
    const f = findings[0];
    // 3.76 cores × $0.031611 + 6.16 GiB × $0.004237, × 730 h.
    expect(f?.summary).toContain('about $106 a month');
    expect(f?.evidence.length).toBeGreaterThanOrEqual(4);
    for (const e of f?.evidence ?? []) expect(e.query.length).toBeGreaterThan(0);
    expect(f?.evidence.map((e) => e.value)).toEqual([2, 0.12, 4 * Gi, 0.8 * Gi, 2]);
    expect(f?.recommendation).toEqual({ kind: 'resources', target: { namespace: 'analytics', kind: 'Deployment', name: 'reporting' }, container: 'reporting' });
  });

  it('says when it could not know whether an HPA scales the workload on CPU', () => {
    const { findings } = overprovisioned.evaluate(context({ workloads: [reporting()], missingFeatures: ['hpa'] }));
    expect(findings[0]?.summary).toMatch(/No HPA data/);
    const withFleet = overprovisioned.evaluate(context({ workloads: [reporting()], missingFeatures: ['hpa'], fleet: fleet({}) }));
    expect(withFleet.findings[0]?.summary).not.toMatch(/No HPA data/);
  });
});
