import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { multiClusterFleet } from './multi-cluster';
import { podRegex } from './promhttp';
import { selectorsOf } from './selectors';

/**
 * One store, two clusters with the same names. With `global: cluster="eu"` every selector Headroom
 * sends must carry the matcher — the workload join and the container queries included — and every
 * number must be eu's alone.
 */
const fleet = multiClusterFleet();
let runs: VariantRun[] = [];

beforeAll(async () => {
  runs = await analyzeAll(await startStores(fleet.series, ['prometheus', 'victoriametrics']), { global: [{ label: 'cluster', op: '=', value: 'eu' }] });
}, 60_000);
afterAll(() => stopAll(runs));

describe.each(['prometheus', 'victoriametrics'])('a multi-cluster store on %s, analysed for cluster="eu"', (kind) => {
  const runOf = (): VariantRun => runs.find((r) => r.kind === kind) as VariantRun;

  it('stays within the sample budget', () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it('puts cluster="eu" on every selector of every request', () => {
    const { calls } = runOf();
    expect(calls.length).toBeGreaterThan(10);
    const missing: string[] = [];
    let checked = 0;
    for (const call of calls) {
      for (const query of call.queries) {
        for (const s of selectorsOf(query)) {
          checked++;
          if (!s.matchers.includes('cluster="eu"')) missing.push(`${call.method}: ${s.metric}{${s.matchers.join(',')}} in ${query.slice(0, 200)}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('sees eu\'s services and containers only, once each', () => {
    const { analysis } = runOf();
    expect(analysis.report.services.map((s) => `${s.namespace}/${s.kind}/${s.name}`)).toEqual(['shop/Deployment/catalog', 'shop/Deployment/orders']);
    expect(analysis.catalog.workloadMapping).toBe('kube-state-metrics');
    for (const w of analysis.context.workloads) {
      expect(w.podsSeen).toBe(fleet.services.eu.find((s) => s.name === w.key.workload)?.pods?.length);
      // eu's containers use 0.1 core each; us' use 0.25.
      expect(w.containers[0]?.cpu.p50, w.key.workload).toBeCloseTo(0.1, 6);
    }
  });

  it('has eu\'s rate, error ratio and p99, as PromQL with cluster="eu" gives', async () => {
    const run = runOf();
    for (const truth of fleet.services.eu) {
      const sel = `cluster="eu",namespace="shop",pod=~"${podRegex(truth.pods ?? [])}"`;
      await expectRedMatches(
        run,
        serviceOf(run.analysis, truth.namespace, truth.name),
        { requests: `http_request_duration_seconds_count{${sel}}`, errors: 'code=~"5.."', buckets: `http_request_duration_seconds_bucket{${sel}}`, toSeconds: 1 },
        truth,
      );
    }
  });

  it('warns when no matcher picks a cluster, and only then', async () => {
    const run = runOf();
    const unfiltered = await analyzeAll([run]);
    expect(unfiltered[0]?.analysis.report.warnings).toContain(
      'the store holds 2 clusters (cluster=eu, us) and no matcher picks one: workloads with the same namespace and name are added together across them; analyse one cluster at a time with a global matcher such as cluster="eu"',
    );
    expect(run.analysis.report.warnings?.filter((w) => w.includes('clusters'))).toEqual([]);
  });

  it('writes a valid report without NaN or Infinity', () => {
    const { report } = runOf().analysis;
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(nonFiniteNumbers(report)).toEqual([]);
  });
});
