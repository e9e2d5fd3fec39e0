import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSloFile } from '../../../../core/analysis/slo';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { leRolloutFleet, ROLLOUT } from './le-rollout';

/**
 * `le="1"` from the old pods and `le="1.0"` from the new ones, in one Deployment: the buckets must merge
 * (p99 as histogram_quantile gives it, in the right bucket), and a latency objective at 1 s must count
 * both spellings, where an exact `le="1"` matcher silently loses the new pods.
 */
const fleet = leRolloutFleet();
const SLO = parseSloFile(`
services:
  - namespace: search
    name: search
    latency: { threshold: 1, objective: 0.95 }
`);
const BUCKET = 'http_request_duration_seconds_bucket{namespace="search"}';
const COUNT = 'http_request_duration_seconds_count{namespace="search"}';
let runs: VariantRun[] = [];

beforeAll(async () => {
  runs = await analyzeAll(await startStores(fleet.series, ['prometheus', 'victoriametrics']), { slo: SLO });
}, 60_000);
afterAll(() => stopAll(runs));

describe.each(['prometheus', 'victoriametrics'])('le="1" and le="1.0" in one service on %s', (kind) => {
  const runOf = (): VariantRun => runs.find((r) => r.kind === kind) as VariantRun;

  it('stays within the sample budget, and the store really holds both spellings', async () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
    const les = await runOf().vector(`count by (le) (last_over_time(${BUCKET.replace('}', ',le=~"1(\\\\.0)?"}')}[1h]))`);
    expect(les.map((s) => s.labels.le).sort()).toEqual(['1', '1.0']);
  });

  it('merges the buckets: rate, errors, p50/p95/p99 and the p99 bucket as PromQL and the ground truth give', async () => {
    const run = runOf();
    const [truth] = fleet.services;
    if (!truth) throw new Error('no truth');
    const search = serviceOf(run.analysis, 'search', 'search');
    // Prometheus extrapolates the old pods' series past their last scrape by half an interval.
    await expectRedMatches(run, search, { requests: COUNT, errors: 'code=~"5.."', buckets: BUCKET, toSeconds: 1 }, truth, { truthTolerance: kind === 'prometheus' ? 0.01 : 1e-9 });
    expect(search.latency.p99Bucket?.[1]).toBeGreaterThanOrEqual(1);
    expect(run.analysis.report.services).toHaveLength(1);
  });

  it('counts both spellings under a 1 s latency objective, where le="1" alone misses the new pods', async () => {
    const run = runOf();
    const measured = run.analysis.services[0]?.facts.latencyWindows.get(1)?.windows['1h'];
    const total = (await run.value(`sum(increase(${COUNT}[1h]))`)) ?? 0;
    const fast = (await run.value(`sum(increase(${BUCKET.replace('}', ',le=~"1(\\\\.0)?"}')}[1h]))`)) ?? 0;
    const exact = (await run.value(`sum(increase(${BUCKET.replace('}', ',le="1"}')}[1h]))`)) ?? 0;
    expect(measured?.total).toBeCloseTo(total, 6);
    expect(measured?.bad).toBeCloseTo(total - fast, 6);
    expect(exact).toBeLessThan(fast * 0.75);
    expect(run.analysis.services[0]?.latencySlo?.status.burnRates['1h']).not.toBeNull();
  });

  it('has the p99 timeline the store computes over both spellings while both ReplicaSets run', async () => {
    const run = runOf();
    const at = ROLLOUT + 300;
    const point = run.analysis.services[0]?.facts.timeline.p99.find((p) => p.time === at);
    const direct = await run.value(`histogram_quantile(0.99, sum by (le) (rate(${BUCKET}[5m])))`, at);
    expect(direct).not.toBeNull();
    expect(point?.value).toBeCloseTo(direct as number, 9);
  });

  it('writes a valid report without NaN or Infinity', () => {
    const { report } = runOf().analysis;
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(nonFiniteNumbers(report)).toEqual([]);
  });
});
