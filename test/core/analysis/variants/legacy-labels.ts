/**
 * Applications scraped by an older pod job (the prometheus Helm chart's `kubernetes-pods` before v15, and
 * many hand-written configurations), which relabelled the pod's metadata to `kubernetes_namespace` and
 * `kubernetes_pod_name`: the promhttp series (see promhttp.ts) carry those instead of `namespace` and `pod`.
 * kube-state-metrics keeps its own `namespace` and `pod` labels, so the owner join is the usual one.
 */
import { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';
import { cellSeries, deploymentPods, ownerSeries, playTraffic, TIMES, type VariantFleet } from './fleet';
import { goService, goTruth, scrapeCounterSeries } from './promhttp';

/** The older job's labels: the pod's metadata under other names. */
function relabelled(series: SmallSeries): SmallSeries {
  const { namespace, pod, ...rest } = series.labels;
  return { ...series, labels: { ...rest, ...(namespace !== undefined && { kubernetes_namespace: namespace }), ...(pod !== undefined && { kubernetes_pod_name: pod }) } };
}

export function legacyLabelsFleet(seed = 'legacy-labels'): VariantFleet {
  const random = new Random(seed);
  const cartPods = deploymentPods(random, 'shop', 'cart', 3);
  const stockPods = deploymentPods(random, 'warehouse', 'stock', 2);
  const cart = goService({ namespace: 'shop', name: 'cart', kind: 'Deployment', handler: '/cart', pods: cartPods.map((p) => ({ name: p.pod })), rps: 6, codes: [{ code: '502', share: 0.02 }], median: 0.05 });
  const stock = goService({ namespace: 'warehouse', name: 'stock', kind: 'Deployment', handler: '/stock', pods: stockPods.map((p) => ({ name: p.pod })), rps: 2, codes: [{ code: '500', share: 0.01 }], median: 0.2 });
  playTraffic(random, [cart.traffic, stock.traffic]);
  return {
    series: [...[cart, stock].flatMap((p) => [...cellSeries(p.traffic.cells), ...scrapeCounterSeries(p, TIMES)]).map(relabelled), ...ownerSeries([...cartPods, ...stockPods])],
    services: [goTruth(cart), goTruth(stock)],
  };
}

/** The same traffic scraped by a job that keeps `pod` but drops the namespace: no workload can be named. */
export function podWithoutNamespaceFleet(seed = 'pod-without-namespace'): VariantFleet {
  const random = new Random(seed);
  const pods = deploymentPods(random, 'shop', 'cart', 2);
  const cart = goService({ namespace: 'shop', name: 'cart', kind: 'Deployment', handler: '/cart', pods: pods.map((p) => ({ name: p.pod })), rps: 4, codes: [], median: 0.05 });
  playTraffic(random, [cart.traffic]);
  const withoutNamespace = (series: SmallSeries): SmallSeries => {
    const { namespace: _dropped, ...labels } = series.labels;
    return { ...series, labels };
  };
  return { series: [...cellSeries(cart.traffic.cells), ...scrapeCounterSeries(cart, TIMES)].map(withoutNamespace), services: [goTruth(cart)] };
}
