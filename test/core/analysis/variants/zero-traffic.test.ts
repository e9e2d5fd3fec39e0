import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSloFile } from '../../../../core/analysis/slo';
import { burnWindowIds, reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { zeroTrafficFleet } from './zero-traffic';

/**
 * Series that exist but never increase: 0 requests/s, and every ratio or quantile that would divide by
 * zero is null with a note — nowhere NaN or Infinity, in the report or in what the rules read.
 */
const fleet = zeroTrafficFleet();
const SLO = parseSloFile(`
defaults:
  latency: { threshold: 1, objective: 0.99 }
`);
let runs: VariantRun[] = [];

beforeAll(async () => {
  runs = await analyzeAll(await startStores(fleet.series, ['prometheus', 'victoriametrics']), { slo: SLO });
}, 60_000);
afterAll(() => stopAll(runs));

describe.each(['prometheus', 'victoriametrics'])('a service without traffic in the window, on %s', (kind) => {
  const runOf = (): VariantRun => runs.find((r) => r.kind === kind) as VariantRun;

  it('stays within the sample budget, and its series are really there and non-zero', async () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
    expect(await runOf().value('sum(http_request_duration_seconds_count{namespace="reporting",app="reports"})')).toBeGreaterThan(0);
  });

  it('reports 0 requests/s, and no error ratio and no latency, each with its reason', () => {
    const reports = serviceOf(runOf().analysis, 'reporting', 'reports');
    expect(reports.rps).toBe(0);
    expect(reports.requests).toBe(0);
    expect(reports.lowTraffic).toBe(true);
    expect(reports.errorRatio).toBeNull();
    expect(reports.latency).toEqual({ p50: null, p95: null, p99: null, p99Bucket: null });
    expect(reports.notes).toEqual(expect.arrayContaining(['no requests in the window: error ratio unknown', 'p99: no requests in the window', 'no traffic in the SLO period: budget unknown']));
    expect(reports.slo.errorBudgetRemaining).toBeNull();
    expect(burnWindowIds.map((id) => reports.slo.burnRates[id])).toEqual(burnWindowIds.map(() => null));
    expect(reports.slo.alert).toBe('none');
  });

  it('keeps null, not NaN, in the timelines and the latency objective the rules read', () => {
    const reports = runOf().analysis.services.find((s) => s.report.name === 'reports');
    const timeline = reports?.facts.timeline;
    expect(timeline?.rps.length).toBeGreaterThan(0);
    expect(timeline?.rps.every((p) => p.value === 0)).toBe(true);
    expect(timeline?.errorRatio.every((p) => p.value === null)).toBe(true);
    expect(timeline?.p99.every((p) => p.value === null)).toBe(true);
    expect(reports?.latencySlo?.status.burnRates['1h']).toBeNull();
    // The +Inf bucket's bound is Infinity by design (histogram.ts); it never reaches the report.
    expect(nonFiniteNumbers(runOf().analysis.services).filter((p) => !/\.buckets\.\d+\.le = Infinity$/.test(p))).toEqual([]);
    expect(nonFiniteNumbers(runOf().analysis.context.workloads)).toEqual([]);
  });

  it('still measures the busy service next to it, as PromQL gives', async () => {
    const run = runOf();
    const truth = fleet.services.find((s) => s.name === 'exporter');
    if (!truth) throw new Error('no exporter truth');
    const sel = 'namespace="reporting",app="exporter"';
    await expectRedMatches(run, serviceOf(run.analysis, 'reporting', 'exporter'), { requests: `http_request_duration_seconds_count{${sel}}`, errors: 'code=~"5.."', buckets: `http_request_duration_seconds_bucket{${sel}}`, toSeconds: 1 }, truth);
  });

  it('writes a report the schema accepts, without NaN or Infinity', () => {
    const { report } = runOf().analysis;
    const parsed = reportSchema.safeParse(report);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(nonFiniteNumbers(report)).toEqual([]);
  });
});
