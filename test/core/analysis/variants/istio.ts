/**
 * Istio 1.22 standard metrics (Envoy sidecars with the telemetry v2 / stats extension), scraped the way
 * Istio's own Prometheus add-on does it: the `kubernetes-pods` job on the merged endpoint
 * `:15020/stats/prometheus`, which adds the sidecar's `namespace`, `pod`, `app` and `version`.
 *
 * Every request inside the mesh is reported twice — by the caller's sidecar with `reporter="source"`
 * and by the server's sidecar with `reporter="destination"` — with the same peer labels
 * (`source_workload`, `destination_workload`, …) and `response_code`. Durations are milliseconds
 * (`istio_request_duration_milliseconds`, default buckets 0.5 ms … 1 h); the source side also
 * includes the network hop, so picking the wrong reporter changes latency too, not only counts.
 */
import { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';
import {
  arrivals,
  CumulativeCounter,
  CumulativeHistogram,
  DATA_START,
  generatedPodName,
  logNormal,
  pickByShare,
  quantileBucket,
  replicaSetName,
  TIMES,
  windowTotals,
  type Labels,
  type VariantFleet,
} from './fleet';

/** Istio's default buckets for istio_request_duration_milliseconds (proxy stats config). */
export const ISTIO_BUCKETS_MS = ['0.5', '1', '5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '30000', '60000', '300000', '600000', '1800000', '3600000'];

interface MeshWorkload {
  namespace: string;
  name: string;
  pods: string[];
  ip: (i: number) => string;
}

interface Edge {
  from: MeshWorkload;
  to: MeshWorkload;
  rps: number;
  /** Response codes and their shares; the rest answer 200. */
  codes: Array<{ code: string; share: number }>;
  medianMs: number;
  sigma: number;
}

function workload(random: Random, namespace: string, name: string, replicas: number, subnet: number): MeshWorkload {
  const rs = replicaSetName(random, name);
  return { namespace, name, pods: Array.from({ length: replicas }, () => generatedPodName(random, rs)), ip: (i) => `10.4.${subnet}.${10 + i}` };
}

function peerLabels(side: 'source' | 'destination', w: MeshWorkload): Labels {
  return {
    [`${side}_app`]: w.name,
    [`${side}_canonical_revision`]: 'v1',
    [`${side}_canonical_service`]: w.name,
    [`${side}_cluster`]: 'Kubernetes',
    [`${side}_principal`]: `spiffe://cluster.local/ns/${w.namespace}/sa/${w.name}`,
    [`${side}_version`]: 'v1',
    [`${side}_workload`]: w.name,
    [`${side}_workload_namespace`]: w.namespace,
  };
}

/** The labels Istio's stats filter puts on one request, from the point of view of `reporter`. */
function requestLabels(reporter: 'source' | 'destination', edge: Edge, code: string): Labels {
  return {
    reporter,
    ...peerLabels('source', edge.from),
    ...peerLabels('destination', edge.to),
    destination_service: `${edge.to.name}.${edge.to.namespace}.svc.cluster.local`,
    destination_service_name: edge.to.name,
    destination_service_namespace: edge.to.namespace,
    request_protocol: 'http',
    response_code: code,
    response_flags: '-',
    connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown',
  };
}

/** Target labels of the `kubernetes-pods` job for the sidecar of `pod`. */
function scrapeLabels(w: MeshWorkload, i: number): Labels {
  return { namespace: w.namespace, pod: w.pods[i] as string, instance: `${w.ip(i)}:15020`, job: 'kubernetes-pods', app: w.name, version: 'v1' };
}

export function istioFleet(seed = 'istio'): VariantFleet {
  const random = new Random(seed);
  const gateway = workload(random, 'istio-system', 'istio-ingressgateway', 1, 1);
  const frontend = workload(random, 'web', 'frontend', 2, 2);
  const cart = workload(random, 'shop', 'cart', 2, 3);
  const catalog = workload(random, 'shop', 'catalog', 1, 4);
  const edges: Edge[] = [
    { from: gateway, to: frontend, rps: 12, codes: [{ code: '503', share: 0.004 }], medianMs: 40, sigma: 0.5 },
    { from: frontend, to: cart, rps: 5, codes: [{ code: '503', share: 0.02 }], medianMs: 15, sigma: 0.7 },
    // 404s are the client's mistake, not the server's: they are not errors.
    { from: frontend, to: catalog, rps: 8, codes: [{ code: '404', share: 0.01 }], medianMs: 8, sigma: 0.9 },
  ];

  const histograms: Array<{ edge: Edge; reporter: 'source' | 'destination'; h: CumulativeHistogram; requests: CumulativeCounter }> = [];
  const series = new Map<string, (typeof histograms)[number]>();
  // Every label set exists from the start (a sidecar that has served a code once keeps the series).
  for (const edge of edges) {
    for (const code of ['200', ...edge.codes.map((c) => c.code)]) {
      for (const [reporter, w] of [['source', edge.from], ['destination', edge.to]] as const) {
        w.pods.forEach((_, i) => {
          const labels = { ...requestLabels(reporter, edge, code), ...scrapeLabels(w, i) };
          const entry = { edge, reporter, h: new CumulativeHistogram('istio_request_duration_milliseconds', labels, ISTIO_BUCKETS_MS, 0.001), requests: new CumulativeCounter({ __name__: 'istio_requests_total', ...labels }) };
          histograms.push(entry);
          series.set(`${edges.indexOf(edge)}/${code}/${reporter}/${i}`, entry);
        });
      }
    }
  }

  for (const time of TIMES) {
    if (time > DATA_START) {
      edges.forEach((edge, e) => {
        for (let n = arrivals(random, edge.rps); n > 0; n--) {
          const code = pickByShare(random, edge.codes.map((c) => ({ value: c.code, share: c.share })), '200');
          const server = series.get(`${e}/${code}/destination/${random.int(0, edge.to.pods.length - 1)}`);
          const client = series.get(`${e}/${code}/source/${random.int(0, edge.from.pods.length - 1)}`);
          const seconds = logNormal(random, edge.medianMs / 1000, edge.sigma);
          server?.h.observe(seconds);
          server?.requests.add(1);
          // The caller's sidecar also times the network hop.
          client?.h.observe(seconds + random.between(0.0005, 0.003));
          client?.requests.add(1);
        }
      });
    }
    for (const s of histograms) {
      s.h.scrape(time);
      s.requests.scrape(time);
    }
  }

  const out: SmallSeries[] = histograms.flatMap((s) => [...s.h.series(), s.requests.series()]);
  return {
    series: out,
    services: [frontend, cart, catalog].map((w) => {
      const served = histograms.filter((s) => s.reporter === 'destination' && s.edge.to === w);
      return {
        namespace: w.namespace,
        name: w.name,
        kind: 'Deployment',
        ...windowTotals(served.map((s) => s.h), (labels) => /^5/.test(labels.response_code ?? '')),
        p99Bucket: quantileBucket(0.99, served.map((s) => s.h)),
      };
    }),
  };
}
