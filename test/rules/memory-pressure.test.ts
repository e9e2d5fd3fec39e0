import { describe, expect, it } from 'vitest';
import type { AnalysisContext, ContainerFacts, WorkloadFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { memoryPressure } from '../../rules/memory-pressure';
import { container, context, timeline, workload } from './fixtures';

/**
 * OOM kills (thumbnailer: a leak up to its 512 MiB limit) and a working set parked near the limit,
 * against the shapes that must stay quiet: steady memory well below the limit, one start-up spike,
 * restarts that are not OOM kills.
 */
const Mi = 1024 ** 2;

const thumbnailer = (over: Partial<ContainerFacts> = {}, ratio: (i: number) => number | null = (i) => 0.35 + ((i % 78) / 78) * 0.64, extra: Partial<WorkloadFacts> = {}): WorkloadFacts =>
  ({
    ...workload({
      namespace: 'media',
      name: 'thumbnailer',
      containers: [container({ name: 'thumbnailer', requests: { cpu: 0.1, memory: 384 * Mi }, limits: { cpu: null, memory: 512 * Mi }, memoryMax: 508 * Mi, oomKills: 26, restarts: 26, ...over })],
      timeline: { memoryLimitRatio: timeline(ratio, { query: 'memory_limit_ratio_query' }), replicas: timeline(() => 2, { query: 'replicas_query' }) },
    }),
    ...extra,
  });

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity: 'critical' | 'warning' | null;
  summary?: RegExp;
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'OOMKilled every ~13 h at its limit: critical, with the invisible peak said',
    ctx: context({ workloads: [thumbnailer()] }),
    severity: 'critical',
    summary: /OOMKilled 26 times in 7 days \(about once every 12\.9 h per pod\); largest sample 508 MiB of its 512 MiB limit \(99 %\); the true peak of a killed container is invisible/,
  },
  {
    name: 'OOMKilled while its last sample was far below the limit: between scrapes or node pressure',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 300 * Mi, oomKills: 1, restarts: 1 }, () => 0.5)] }),
    severity: 'critical',
    summary: /OOMKilled 1 time .*largest sample 300 MiB of its 512 MiB limit \(59 %\), so either the peak came between two scrapes or the node ran out of memory/,
  },
  {
    name: 'OOMKilled without a memory limit: the node ran out',
    ctx: context({ workloads: [thumbnailer({ limits: { cpu: null, memory: null }, oomKills: 3, restarts: 3 }, () => null, { timeline: { memoryLimitRatio: null, replicas: null, cpuUtilization: null, throttledRatio: null } })] }),
    severity: 'critical',
    summary: /OOMKilled 3 times .* without a memory limit: the node ran out of memory/,
  },
  {
    name: 'working set parked at 95 % of the limit for days, no kill yet: warning',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 490 * Mi, oomKills: 0, restarts: 0 }, () => 0.95)] }),
    severity: 'warning',
    summary: /working set reached 490 MiB of its 512 MiB limit \(96 %\) and stayed at ≥ 90 % of it for 7 days/,
  },
  {
    name: 'near the limit, no timeline: judged on the raw-sample peak and says so',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 490 * Mi, oomKills: 0, restarts: 0 }, () => null, { timeline: { memoryLimitRatio: null, replicas: null, cpuUtilization: null, throttledRatio: null } })] }),
    severity: 'warning',
    summary: /how long it stayed there is unknown/,
  },
  // Must not fire.
  {
    name: 'steady memory well below the limit (reporting)',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 0.8 * 1024 ** 3, limits: { cpu: null, memory: 4 * 1024 ** 3 }, oomKills: 0, restarts: 0 }, () => 0.19)] }),
    severity: null,
  },
  {
    name: 'one ten-minute start-up spike to 95 %',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 487 * Mi, oomKills: 0, restarts: 0 }, (i) => (i === 10 ? 0.95 : 0.4))] }),
    severity: null,
  },
  {
    name: 'restarts that are not OOM kills, memory low',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 200 * Mi, oomKills: 0, restarts: 12 }, () => 0.4)] }),
    severity: null,
  },
  {
    name: 'no memory limit and no OOM kill',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 3 * 1024 ** 3, limits: { cpu: null, memory: null }, oomKills: 0, restarts: 0 }, () => null)] }),
    severity: null,
  },
  // Not evaluated.
  {
    name: 'no OOM kill metrics: near-limit still judged, OOM kills reported as not evaluated',
    ctx: context({ workloads: [thumbnailer({ memoryMax: 490 * Mi, oomKills: 0, restarts: 0 }, () => 0.95)], missingFeatures: ['oom-kills'] }),
    severity: 'warning',
    notEvaluated: /OOM kills \(only working set near the limit was judged\): oom-kills metrics are missing/,
  },
  {
    name: 'no working set metrics at all',
    ctx: context({ workloads: [thumbnailer()], missingFeatures: ['container-memory'] }),
    severity: null,
    notEvaluated: /container-memory metrics are missing/,
  },
];

describe('memory-pressure', () => {
  it.each(cases)('$name', ({ ctx, severity, summary, notEvaluated }) => {
    const result = runRules(ctx, [memoryPressure]);
    if (severity === null) expect(result.findings).toEqual([]);
    else {
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0]?.severity).toBe(severity);
      expect(result.findings[0]?.target).toEqual({ namespace: 'media', kind: 'Deployment', name: 'thumbnailer' });
    }
    if (summary) expect(result.findings[0]?.summary).toMatch(summary);
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' ')).join('\n')).toMatch(notEvaluated);
  });

  it('cites its queries, charts working set ÷ limit, and links the resources recommendation', () => {
    const { findings } = memoryPressure.evaluate(context({ workloads: [thumbnailer()] }));
    const f = findings[0];
    expect(f?.evidence.length).toBeGreaterThanOrEqual(2);
    for (const e of f?.evidence ?? []) expect(e.query.length).toBeGreaterThan(0);
    expect(f?.evidence.find((e) => e.label.startsWith('OOM kills'))?.value).toBe(26);
    expect(f?.evidence.find((e) => e.series)?.series?.query).toBe('memory_limit_ratio_query');
    expect(f?.remediation).toMatch(/above the 512 MiB it was killed at/);
    expect(f?.recommendation).toEqual({ kind: 'resources', target: { namespace: 'media', kind: 'Deployment', name: 'thumbnailer' }, container: 'thumbnailer' });
  });

  it('names the other pressured containers of the workload', () => {
    const w = thumbnailer();
    const sidecar = container({ name: 'sidecar', limits: { cpu: null, memory: 64 * Mi }, memoryMax: 62 * Mi });
    const { findings } = memoryPressure.evaluate(context({ workloads: [{ ...w, containers: [...w.containers, sidecar] }] }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.summary).toMatch(/^Container thumbnailer of media\/thumbnailer: .* Also: sidecar \(peak 97 % of its limit\)\.$/);
  });
});
