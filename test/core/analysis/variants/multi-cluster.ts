/**
 * A Thanos Query or Mimir in front of two clusters, each Prometheus with `external_labels: {cluster: …}`:
 * the same fleet twice (same namespaces, same Deployments, even the same pod names, since the
 * pod-template hash depends only on the template), told apart only by `cluster="eu"` / `cluster="us"`,
 * with different traffic. Each cluster has the promhttp services (promhttp.ts), kube-state-metrics
 * owners and cAdvisor CPU, so the workload join and the container queries are exercised as well.
 */
import { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';
import { cellSeries, deploymentPods, ownerSeries, playTraffic, TIMES, type ServiceTruth } from './fleet';
import { goService, goTruth, scrapeCounterSeries, type GoService } from './promhttp';

export const CLUSTERS = ['eu', 'us'] as const;
export type Cluster = (typeof CLUSTERS)[number];

export interface MultiClusterFleet {
  series: SmallSeries[];
  services: Record<Cluster, ServiceTruth[]>;
}

export function multiClusterFleet(seed = 'multi-cluster'): MultiClusterFleet {
  const random = new Random(seed);
  // One set of names for both clusters.
  const shapes = [
    { name: 'catalog', replicas: 2, handler: '/items', median: 0.03, codes: [{ code: '500', share: 0.004 }] },
    { name: 'orders', replicas: 3, handler: '/orders', median: 0.08, codes: [{ code: '503', share: 0.01 }] },
  ].map((s) => ({ ...s, owned: deploymentPods(random, 'shop', s.name, s.replicas) }));
  const traffic: Record<Cluster, number> = { eu: 1, us: 2.5 };

  const series: SmallSeries[] = [];
  const services = {} as Record<Cluster, ServiceTruth[]>;
  for (const cluster of CLUSTERS) {
    const extra = { cluster };
    const played = shapes.map((s) => {
      const service: GoService = {
        namespace: 'shop',
        name: s.name,
        kind: 'Deployment',
        handler: s.handler,
        pods: s.owned.map((o) => ({ name: o.pod, extra })),
        rps: 4 * traffic[cluster],
        // us fails twice as often, so a leaked cluster shows in the ratio too.
        codes: s.codes.map((c) => ({ code: c.code, share: c.share * traffic[cluster] })),
        median: s.median,
      };
      return goService(service);
    });
    playTraffic(random, played.map((p) => p.traffic));
    series.push(...played.flatMap((p) => [...cellSeries(p.traffic.cells), ...scrapeCounterSeries(p, TIMES)]));
    series.push(...ownerSeries(shapes.flatMap((s) => s.owned), extra));
    const kubelet = { endpoint: 'https-metrics', instance: '10.0.0.4:10250', job: 'kubelet', metrics_path: '/metrics/cadvisor', node: 'node-a', service: 'kubelet', cluster };
    for (const s of shapes) {
      for (const o of s.owned) {
        const cores = 0.1 * traffic[cluster];
        series.push({
          labels: { __name__: 'container_cpu_usage_seconds_total', ...kubelet, namespace: 'shop', pod: o.pod, container: s.name, cpu: 'total' },
          samples: TIMES.map((t, i): [number, number] => [t, i * 30 * cores]),
        });
      }
    }
    services[cluster] = played.map(goTruth);
  }
  return { series, services };
}
