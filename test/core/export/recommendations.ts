import type { Recommendation, Resources } from '../../../core/api/report';
import { hpaManifest } from '../../../core/export/hpa';
import { pdbManifest } from '../../../core/export/pdb';
import { toYaml } from '../../../core/export/yaml';
import type { FleetSnapshot, Workload } from '../../../core/kubernetes/model';

export const Mi = 1024 ** 2;
export const Gi = 1024 ** 3;

const NONE: Resources = { cpu: { request: null, limit: null }, memory: { request: null, limit: null } };
const CHECKOUT = { namespace: 'shop', kind: 'Deployment', name: 'checkout' };

export function resources(
  target: Recommendation['target'],
  container: string,
  current: Resources,
  proposed: Resources,
): Recommendation {
  return { kind: 'resources', target, container, current, proposed, manifest: '' };
}

/**
 * What the analysis would report for the fixture's checkout Deployment: smaller app requests without a CPU
 * limit, a smaller sidecar, an unchanged log shipper, an HPA on RPS and a PDB.
 */
export function checkoutRecommendations(fleet: FleetSnapshot): Recommendation[] {
  const checkout = fleet.workloads.find((workload) => workload.name === 'checkout') as Workload;
  return [
    resources(
      CHECKOUT,
      'app',
      { cpu: { request: 1, limit: 2 }, memory: { request: 2 * Gi, limit: 3 * Gi } },
      { cpu: { request: 0.35, limit: null }, memory: { request: 1.5 * Gi, limit: 2 * Gi } },
    ),
    resources(
      CHECKOUT,
      'envoy',
      { cpu: { request: 0.5, limit: null }, memory: { request: 128 * Mi, limit: null } },
      { cpu: { request: 0.1, limit: null }, memory: { request: 128 * Mi, limit: null } },
    ),
    resources(
      CHECKOUT,
      'log-shipper',
      { cpu: { request: 0.05, limit: null }, memory: { request: 64 * Mi, limit: null } },
      { cpu: { request: 0.05, limit: null }, memory: { request: 64 * Mi, limit: null } },
    ),
    {
      kind: 'hpa',
      target: CHECKOUT,
      container: '',
      current: NONE,
      proposed: NONE,
      manifest: toYaml([
        hpaManifest({
          target: { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
          minReplicas: 3,
          maxReplicas: 12,
          metrics: [{ type: 'Pods', metricName: 'http_requests_per_second', averageValue: 40 }],
          generatedFrom: 'HPA-ON-CPU/shop/checkout',
          rationale: 'p99 latency follows requests per second, not CPU',
        }),
      ]),
    },
    {
      kind: 'pdb',
      target: CHECKOUT,
      container: '',
      current: NONE,
      proposed: NONE,
      manifest: toYaml([
        pdbManifest({
          workload: checkout,
          maxUnavailable: { type: 'count', value: 1 },
          generatedFrom: 'PDB-MISSING/shop/checkout',
          rationale: 'the HPA can scale checkout down with nothing limiting disruptions',
        }),
      ]),
    },
  ];
}

/** An HPA recommendation for the fixture's ledger StatefulSet, which already has the HPA `ledger-readers`. */
export function ledgerHpaRecommendation(name = 'ledger'): Recommendation {
  return {
    kind: 'hpa',
    target: { namespace: 'shop', kind: 'StatefulSet', name: 'ledger' },
    container: '',
    current: NONE,
    proposed: NONE,
    manifest: toYaml([
      hpaManifest({
        name,
        target: { namespace: 'shop', kind: 'StatefulSet', name: 'ledger' },
        minReplicas: 2,
        maxReplicas: 9,
        metrics: [{ type: 'Pods', metricName: 'pg_stat_activity_active', averageValue: 30 }],
        generatedFrom: 'HPA-ON-CPU/shop/ledger',
        rationale: 'ledger waits on connections, not CPU',
      }),
    ]),
  };
}
