import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hpaMaxedOut } from '../../../../rules/hpa-maxed-out';
import { END } from './fleet';
import { analyzeAll, startStores, stopAll, type VariantRun } from './harness';
import { HPA_METRIC_CASES, hpaMetricsFleet, MAX_REPLICAS, MIDDLE } from './hpa-metrics';

/**
 * HPAs on requests per second and on consumer lag, read from kube-state-metrics in a real Prometheus and
 * VictoriaMetrics: their metrics' current values over time reach the rules, and hpa-maxed-out judges them
 * as it judges CPU — held at max with the metric above target.
 */
let runs: VariantRun[] = [];

beforeAll(async () => {
  runs = await analyzeAll(await startStores(hpaMetricsFleet(), ['prometheus', 'victoriametrics']), { rules: [hpaMaxedOut] });
}, 60_000);
afterAll(() => stopAll(runs));

describe.each(['prometheus', 'victoriametrics'])('HPAs on other metrics than CPU, on %s', (kind) => {
  const runOf = (): VariantRun => runs.find((r) => r.kind === kind) as VariantRun;

  it.each(HPA_METRIC_CASES)('$name: its $metric over time, as PromQL gives it', async (c) => {
    const facts = runOf().analysis.context.hpas.find((h) => h.name === c.name);
    expect(facts?.metrics).toEqual([{ name: c.metric, targetType: 'average', target: c.target }]);
    const seen = facts?.metricTimelines.find((t) => t.name === c.metric);
    expect(seen?.targetType).toBe('average');
    const points = seen?.timeline.points ?? [];
    expect(points.length).toBeGreaterThan(10);
    const direct = await runOf().value(`max(kube_horizontalpodautoscaler_status_target_metric{horizontalpodautoscaler="${c.name}",metric_name="${c.metric}"})`, END);
    expect(points[points.length - 1]?.value).toBe(direct);
    for (const p of points) expect(p.value).toBe(p.time >= MIDDLE ? c.after : c.before);
  });

  it.each(HPA_METRIC_CASES)('hpa-maxed-out: $name held at max with $metric above target', (c) => {
    const finding = runOf().analysis.report.findings.find((f) => f.rule === 'hpa-maxed-out' && f.target.name === c.name);
    expect(finding?.summary).toContain(`${c.metric} stood at ${c.after.toLocaleString('en-US')} per pod`);
    expect(finding?.summary).toContain(`implied up to ${Math.ceil((MAX_REPLICAS * c.after) / c.target)} replicas`);
    expect(runOf().analysis.report.notEvaluated?.filter((n) => n.rule === 'hpa-maxed-out') ?? []).toEqual([]);
  });
});
