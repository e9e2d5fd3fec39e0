import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_BUDGET, sampleCount } from './fleet';
import { analyzeAll, expectRedMatches, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { legacyLabelsFleet, podWithoutNamespaceFleet } from './legacy-labels';
import { podRegex } from './promhttp';

/**
 * Pods scraped by an older job, labelled `kubernetes_namespace` / `kubernetes_pod_name`: the same
 * workloads and the same RED numbers PromQL gives over those labels, on Prometheus and VictoriaMetrics,
 * and none of it mistaken for series pushed without a pod.
 */
const fleet = legacyLabelsFleet();
let runs: VariantRun[] = [];

beforeAll(async () => {
  runs = await analyzeAll(await startStores(fleet.series, ['prometheus', 'victoriametrics']), { namespaces: ['shop', 'warehouse'] });
}, 60_000);
afterAll(() => stopAll(runs));

describe.each(['prometheus', 'victoriametrics'])('pod labels of an older scrape job, on %s', (kind) => {
  const runOf = (): VariantRun => runs.find((r) => r.kind === kind) as VariantRun;

  it('stays within the sample budget, and has no `pod` or `namespace` on the application series', async () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
    expect(await runOf().value('count(http_request_duration_seconds_count{pod!=""})')).toBeNull();
    expect(await runOf().value('count(http_request_duration_seconds_count{kubernetes_pod_name!=""})')).toBeGreaterThan(0);
  });

  it('detects the labels, and does not take the series for pushed ones', () => {
    expect(runOf().analysis.catalog.http.map((h) => [h.family.id, h.podLabels, h.legacyPodLabels, h.jobInstance])).toEqual([['promhttp', false, true, false]]);
  });

  it('names the workloads through kube-state-metrics, as with current labels', () => {
    expect(runOf().analysis.report.services.map((s) => `${s.namespace}/${s.kind}/${s.name}`).sort()).toEqual(['shop/Deployment/cart', 'warehouse/Deployment/stock']);
  });

  it('has per workload the rate, 5xx ratio and p99 PromQL gives over the same pods', async () => {
    for (const truth of fleet.services) {
      const sel = `kubernetes_namespace="${truth.namespace}",kubernetes_pod_name=~"${podRegex(truth.pods ?? [])}"`;
      await expectRedMatches(
        runOf(),
        serviceOf(runOf().analysis, truth.namespace, truth.name),
        { requests: `http_request_duration_seconds_count{${sel}}`, errors: 'code=~"5.."', buckets: `http_request_duration_seconds_bucket{${sel}}`, toSeconds: 1 },
        truth,
      );
    }
  });
});

describe('pods without a namespace label', () => {
  it('are left out with a warning that says what to fix, and the analysis goes on', async () => {
    const [run] = await analyzeAll(await startStores(podWithoutNamespaceFleet().series, ['prometheus']));
    try {
      expect(run?.analysis.catalog.http).toEqual([]);
      expect(run?.analysis.report.warnings?.join('\n')).toMatch(/http_request_duration_seconds_count names pods but not their namespace .*relabel __meta_kubernetes_namespace to namespace/);
      expect(run?.analysis.report.services).toEqual([]);
    } finally {
      await stopAll(run ? [run] : []);
    }
  }, 60_000);
});
