import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../../../core/api/report';
import { SAMPLE_BUDGET, sampleCount } from './fleet';
import { analyzeAll, expectRedMatches, nonFiniteNumbers, serviceOf, startStores, stopAll, type VariantRun } from './harness';
import { podNamesFleet } from './pod-names';
import { podRegex } from './promhttp';

/**
 * No kube-state-metrics: Deployments, StatefulSets and DaemonSets told apart by their pods' names alone,
 * for RED and for containers, and the report says that is how it was done.
 */
const fleet = podNamesFleet();
let run: VariantRun;

beforeAll(async () => {
  [run] = (await analyzeAll(await startStores(fleet.series, ['prometheus']))) as [VariantRun];
}, 60_000);
afterAll(() => stopAll(run ? [run] : []));

describe('a cluster without kube-state-metrics', () => {
  it('stays within the sample budget', () => {
    expect(sampleCount(fleet.series)).toBeLessThan(SAMPLE_BUDGET);
  });

  it('maps pods to workloads by name, and says so in the catalog and the report', () => {
    const { catalog, report } = run.analysis;
    expect(catalog.workloadMapping).toBe('pod-name');
    expect(catalog.features.find((f) => f.feature === 'workload-mapping')).toMatchObject({ available: false, missing: expect.stringContaining('pod') });
    expect(report.warnings?.join('\n')).toContain('kube-state-metrics (kube_pod_owner, kube_replicaset_owner) is missing: workloads are inferred from pod names');
    expect(catalog.http.map((h) => [h.family.id, h.status?.label, h.family.toSeconds, h.family.identity, h.podLabels])).toEqual([['promhttp', 'code', 1, 'pod', true]]);
  });

  it('names Deployments (any hash length, all-digit suffixes), StatefulSets and DaemonSets', () => {
    expect(run.analysis.report.services.map((s) => `${s.kind}/${s.name}`).sort()).toEqual(['DaemonSet/node-agent', 'Deployment/api', 'Deployment/checkout-v2', 'StatefulSet/search-index']);
  });

  it('has per workload the rate, 5xx ratio and p99 PromQL gives over the same pods', async () => {
    for (const truth of fleet.services) {
      const sel = `namespace="${truth.namespace}",pod=~"${podRegex(truth.pods ?? [])}"`;
      await expectRedMatches(
        run,
        serviceOf(run.analysis, truth.namespace, truth.name),
        { requests: `http_request_duration_seconds_count{${sel}}`, errors: 'code=~"5.."', buckets: `http_request_duration_seconds_bucket{${sel}}`, toSeconds: 1 },
        truth,
      );
    }
  });

  it('groups containers under the same workloads, without the pod cgroup row', () => {
    const workloads = run.analysis.context.workloads;
    expect(workloads.map((w) => `${w.key.workloadType}/${w.key.workload}`).sort()).toEqual(['DaemonSet/node-agent', 'Deployment/api', 'Deployment/checkout-v2', 'StatefulSet/search-index']);
    for (const w of workloads) {
      expect(w.podsSeen, w.key.workload).toBe(fleet.services.find((s) => s.name === w.key.workload)?.pods?.length);
      expect(w.containers.map((c) => c.name)).toEqual([w.key.workload]);
      // Each container uses 0.05–0.4 cores; with the pod row added it would be twice that.
      expect(w.containers[0]?.cpu.max ?? 1, w.key.workload).toBeLessThan(0.41);
    }
  });

  it('writes a valid report without NaN or Infinity', () => {
    expect(reportSchema.safeParse(run.analysis.report).success).toBe(true);
    expect(nonFiniteNumbers(run.analysis.report)).toEqual([]);
  });
});
