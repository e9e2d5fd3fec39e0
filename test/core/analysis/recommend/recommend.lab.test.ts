import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAnalysis, runBacktest, type AnalysisOutcome } from '../../../../core/api/operations';
import type { Recommendation } from '../../../../core/api/report';
import { ALL_RULES } from '../../../../rules/index';
import type { GroundTruth } from '../../../lab/musiccorp/ground-truth';

/**
 * What Headroom proposes for the lab fleet: the injected problems get the fixes they need, and the
 * default strategy, replayed on days it was not fitted on, would not have OOM-killed anything.
 */
const lab = inject('lab');
const Mi = 1024 ** 2;
let truth: GroundTruth;
let outcome: AnalysisOutcome;

function resources(namespace: string, name: string): Recommendation {
  const found = outcome.report.recommendations.find((r) => r.kind === 'resources' && r.target.namespace === namespace && r.target.name === name);
  if (!found) throw new Error(`no resources recommendation for ${namespace}/${name}`);
  return found;
}

beforeAll(async () => {
  truth = JSON.parse(await readFile(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
  outcome = await runAnalysis(
    {
      source: { prometheus: { url: lab.prometheusUrl, timeoutMs: 180_000 }, kubernetes: { manifests: lab.build.manifestsDir } },
      window: { end: truth.window.end, duration: truth.window.end - truth.window.start },
    },
    { rules: ALL_RULES },
  );
});

describe('recommendations on the lab', () => {
  it('cuts the overprovisioned workload\'s CPU request at least fivefold', () => {
    const r = resources('analytics', 'reporting');
    expect(r.current.cpu.request).toBe(2);
    expect((r.current.cpu.request ?? 0) / (r.proposed.cpu.request ?? 1)).toBeGreaterThanOrEqual(5);
    expect(r.proposed.memory.request).toBeLessThan(r.current.memory.request ?? 0);
  });

  it('gives the OOM-killed container more memory than the limit it was killed at', () => {
    const r = resources('media', 'thumbnailer');
    expect(r.current.memory.limit).toBe(512 * Mi);
    expect(r.proposed.memory.limit).toBeGreaterThan(512 * Mi);
    expect(r.rationale?.join(' ')).toMatch(/OOM kill/);
  });

  it('gives the throttled container more CPU and lifts the limit that throttled it', () => {
    const r = resources('storefront', 'search');
    expect(r.proposed.cpu.request).toBeGreaterThan(r.current.cpu.request ?? Number.POSITIVE_INFINITY);
    expect(r.proposed.cpu.request).toBeGreaterThan(r.current.cpu.limit ?? Number.POSITIVE_INFINITY);
    expect(r.proposed.cpu.limit).toBeNull();
  });

  it('does not scale the pool-bound service on CPU', () => {
    const hpa = outcome.recommendations.hpas.find((p) => p.target.namespace === 'checkout' && p.target.name === 'order');
    expect(hpa?.basis).toBe('requests-per-second');
    expect(hpa?.metric.type).toBe('Pods');
    const rec = outcome.report.recommendations.find((r) => r.kind === 'hpa' && r.target.name === 'order');
    const [doc] = parseAllDocuments(rec?.manifest ?? '').map((d) => d.toJS() as { spec: { metrics: Array<{ type: string }>; maxReplicas: number } });
    expect(doc?.spec.metrics.map((m) => m.type)).toEqual(['Pods']);
    // Capped by what PostgreSQL accepts, not 12.
    expect(doc?.spec.maxReplicas).toBeLessThan(12);
  });

  it('keeps CPU scaling where latency follows CPU', () => {
    expect(outcome.recommendations.hpas.find((p) => p.target.name === 'frontend')?.basis).toBe('cpu');
  });

  it('scales a consumer whose lag is spread over the partitions on that lag, and not one whose lag sits on a hot partition', () => {
    const notifications = outcome.recommendations.hpas.find((p) => p.target.namespace === 'fulfilment' && p.target.name === 'notifications');
    const partitions = outcome.analysis.context.consumerGroups.find((g) => g.group === 'notifications')?.partitions.length ?? 0;
    expect(notifications?.basis).toBe('consumer-lag');
    expect(notifications?.metric).toMatchObject({ type: 'External', metricName: 'kafka_consumergroup_lag', selector: { matchLabels: { consumergroup: 'notifications', topic: 'order.placed' } } });
    expect(partitions).toBeGreaterThan(1);
    expect(notifications?.maxReplicas).toBeLessThanOrEqual(partitions);
    const shipping = outcome.recommendations.hpas.find((p) => p.target.namespace === 'fulfilment' && p.target.name === 'shipping');
    expect(shipping?.basis).not.toBe('consumer-lag');
    expect(shipping?.rationale.join(' ')).toMatch(/piles on partition 3 of order.placed/);
  });

  it('proposes a PDB with the full selector for each multi-replica workload without one', () => {
    const pdbs = outcome.report.recommendations.filter((r) => r.kind === 'pdb').map((r) => `${r.target.namespace}/${r.target.name}`);
    expect(pdbs).toEqual(expect.arrayContaining(['fulfilment/shipping', 'storefront/inventory']));
    const shipping = outcome.report.recommendations.find((r) => r.kind === 'pdb' && r.target.name === 'shipping');
    expect(shipping?.manifest).toContain('matchLabels:');
    expect(shipping?.manifest).toContain('app: shipping');
  });

  it('writes every manifest as parseable YAML of the kinds promised', () => {
    for (const r of outcome.report.recommendations) {
      if (!r.manifest) continue;
      const docs = parseAllDocuments(r.manifest);
      for (const d of docs) expect(d.errors, `${r.kind} ${r.target.name}`).toEqual([]);
      const kinds = docs.map((d) => (d.toJS() as { kind: string }).kind);
      expect(kinds[0], r.kind).toBe(r.kind === 'hpa' ? 'HorizontalPodAutoscaler' : r.kind === 'pdb' ? 'PodDisruptionBudget' : r.target.kind);
    }
  });

  it('points findings at their fixes', () => {
    const linked = outcome.report.findings.filter((f) => f.recommendation !== undefined && f.recommendation !== null);
    expect(linked.length).toBeGreaterThan(0);
    for (const f of linked) {
      const r = outcome.report.recommendations[f.recommendation as number];
      expect(r?.target.namespace, f.rule).toBe(f.target.kind === 'HorizontalPodAutoscaler' ? r?.target.namespace : f.target.namespace);
    }
    const memory = outcome.report.findings.find((f) => f.rule === 'memory-pressure' && f.target.name === 'thumbnailer');
    expect(outcome.report.recommendations[memory?.recommendation ?? -1]?.target.name).toBe('thumbnailer');
  });
});

describe('backtest on the lab', () => {
  it('the default strategy, fitted on four days and replayed on the next three, would have OOM-killed nothing', async () => {
    const end = truth.window.end;
    const result = await runBacktest(
      { source: { prometheus: { url: lab.prometheusUrl, timeoutMs: 180_000 } }, window: { end }, fit: 4 * 86400, test: 3 * 86400 },
      {},
    );
    const byStrategy = Object.fromEntries(result.strategies.map((s) => [s.strategy, s.totals]));
    expect(Object.keys(byStrategy).sort()).toEqual(['headroom', 'krr-simple', 'vpa-like']);
    expect(byStrategy.headroom?.memoryMinutesAboveLimit).toBe(0);
    expect(byStrategy.headroom?.containersOverMemoryLimit).toBe(0);
    expect(byStrategy.headroom?.coresSaved).toBeGreaterThan(2);
    expect(result.unmatched).toEqual([]);
    expect(JSON.stringify(result)).not.toMatch(/NaN|Infinity/);
  });
});
