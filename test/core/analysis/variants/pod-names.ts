/**
 * A cluster without kube-state-metrics: only the pods' own series (promhttp, see promhttp.ts) and
 * cAdvisor's (kubelet `/metrics/cadvisor`: `container_cpu_usage_seconds_total`,
 * `container_memory_working_set_bytes` with `namespace`, `pod`, `container`, plus the pod cgroup row
 * without `container`). The workload can only come from the pod's name, as the controllers write it:
 *  - Deployment: `<name>-<pod-template-hash>-<5>`; the hash is SafeEncodeString of a uint32's decimal
 *    digits, so usually 9 or 10 characters, sometimes fewer — and the 5-character suffix can be all digits;
 *  - StatefulSet: `<name>-<ordinal>`;
 *  - DaemonSet: `<name>-<5>`.
 * Names are written out, not drawn, so each of those edges is certainly present.
 */
import { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';
import { cellSeries, playTraffic, TIMES, type VariantFleet } from './fleet';
import { goService, goTruth, scrapeCounterSeries, type GoService } from './promhttp';

const NAMESPACE = 'apps';

export const POD_NAME_SERVICES: GoService[] = [
  // A 10-character hash, and a suffix of digits only (looks like a StatefulSet ordinal).
  { namespace: NAMESPACE, name: 'api', kind: 'Deployment', handler: '/v1/orders', pods: [{ name: 'api-5d4f8b9c7x-x7k2p' }, { name: 'api-5d4f8b9c7x-24567' }], rps: 8, codes: [{ code: '500', share: 0.01 }], median: 0.04 },
  // A name that ends in a digit-like segment, and an 8-character hash.
  { namespace: NAMESPACE, name: 'checkout-v2', kind: 'Deployment', handler: '/pay', pods: [{ name: 'checkout-v2-6b7c9d8f-bx2mz' }], rps: 3, codes: [{ code: '503', share: 0.02 }], median: 0.12 },
  { namespace: NAMESPACE, name: 'search-index', kind: 'StatefulSet', handler: '/query', pods: [{ name: 'search-index-0' }, { name: 'search-index-1' }, { name: 'search-index-2' }], rps: 5, codes: [{ code: '500', share: 0.005 }], median: 0.02 },
  { namespace: NAMESPACE, name: 'node-agent', kind: 'DaemonSet', handler: '/local', pods: [{ name: 'node-agent-x7k2p' }, { name: 'node-agent-q9m4z' }], rps: 2, codes: [], median: 0.003 },
];

/** cAdvisor rows of one pod: its container, and the pod cgroup (no `container`) that must not be added to it. */
function cadvisor(namespace: string, pod: string, container: string, random: Random): SmallSeries[] {
  const kubelet = { endpoint: 'https-metrics', instance: '10.0.0.4:10250', job: 'kubelet', metrics_path: '/metrics/cadvisor', node: 'node-a', service: 'kubelet' };
  const cores = random.between(0.05, 0.4);
  const cpu = (share: number): Array<[number, number]> => TIMES.map((t, i): [number, number] => [t, i * 30 * cores * share]);
  const memory = TIMES.map((t): [number, number] => [t, 200e6 + random.between(0, 10e6)]);
  return [
    { labels: { __name__: 'container_cpu_usage_seconds_total', ...kubelet, namespace, pod, container, cpu: 'total', id: `/kubepods/burstable/pod-${pod}/${container}`, image: `registry.example/${container}:1.4.2`, name: `k8s_${container}_${pod}` }, samples: cpu(1) },
    { labels: { __name__: 'container_cpu_usage_seconds_total', ...kubelet, namespace, pod, cpu: 'total', id: `/kubepods/burstable/pod-${pod}` }, samples: cpu(1.02) },
    { labels: { __name__: 'container_memory_working_set_bytes', ...kubelet, namespace, pod, container, id: `/kubepods/burstable/pod-${pod}/${container}`, image: `registry.example/${container}:1.4.2`, name: `k8s_${container}_${pod}` }, samples: memory },
  ];
}

export function podNamesFleet(seed = 'pod-names'): VariantFleet {
  const random = new Random(seed);
  const played = POD_NAME_SERVICES.map(goService);
  playTraffic(random, played.map((p) => p.traffic));
  return {
    series: [
      ...played.flatMap((p) => [...cellSeries(p.traffic.cells), ...scrapeCounterSeries(p, TIMES)]),
      ...POD_NAME_SERVICES.flatMap((s) => s.pods.flatMap((p) => cadvisor(s.namespace, p.name, s.name, random))),
    ],
    services: played.map(goTruth),
  };
}
