/**
 * Go services instrumented with prometheus/client_golang 1.19's promhttp middleware
 * (`InstrumentHandlerDuration` and `InstrumentHandlerCounter`, `handler` curried in):
 * `http_request_duration_seconds_{bucket,count,sum}` and `http_requests_total`, both with `code`,
 * `method` (lower-case) and `handler`; DefBuckets, written as Go's strconv.FormatFloat(…, 'g') does
 * ("1", "2.5", "10"). Every pod also counts its own scrapes in `promhttp_metric_handler_requests_total`.
 * Scraped by the `kubernetes-pods` job (prometheus-community/prometheus chart): `namespace`, `pod`,
 * `instance`, `job`, `app`.
 *
 * Shared by the cases that are about the setup around the instrumentation rather than the
 * instrumentation itself: pod names without kube-state-metrics, several clusters in one store, `le`
 * spelled two ways during a rollout, a service without traffic.
 */
import type { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';
import { CumulativeCounter, CumulativeHistogram, logNormal, quantileBucket, windowTotals, type Cell, type Labels, type ServiceTruth, type Traffic } from './fleet';

/** client_golang's prometheus.DefBuckets as its text format writes them. */
export const GO_DEF_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'];

export interface GoPod {
  name: string;
  /** Target labels beyond `namespace` and `pod` (e.g. `cluster`). */
  extra?: Labels;
  /** `le` texts of this pod's histogram; default GO_DEF_BUCKETS. */
  le?: readonly string[];
  /** Running over [from, to] (unix seconds); default the whole history. */
  from?: number;
  to?: number;
}

export interface GoService {
  namespace: string;
  name: string;
  kind: string;
  handler: string;
  pods: GoPod[];
  rps: number;
  /** Codes after 200, with their shares. */
  codes: Array<{ code: string; share: number }>;
  median: number;
  sigma?: number;
}

export interface PlayedGoService {
  service: GoService;
  traffic: Traffic;
  /** Series that are not per request: the scrape counter of each pod. */
  scrapes: CumulativeCounter[];
}

/** Cells for one service: a histogram and a counter per pod and code, created before any traffic. */
export function goService(s: GoService): PlayedGoService {
  const codes = ['200', ...s.codes.map((c) => c.code)];
  const cells: Cell[] = [];
  const scrapes: CumulativeCounter[] = [];
  s.pods.forEach((p, pod) => {
    const target: Labels = { namespace: s.namespace, pod: p.name, instance: `${p.name}:8080`, job: 'kubernetes-pods', app: s.name, ...p.extra };
    codes.forEach((code, outcome) => {
      const labels: Labels = { ...target, code, handler: s.handler, method: 'get' };
      cells.push({
        pod,
        outcome,
        histograms: [new CumulativeHistogram('http_request_duration_seconds', labels, p.le ?? GO_DEF_BUCKETS)],
        counters: [new CumulativeCounter({ __name__: 'http_requests_total', ...labels })],
      });
    });
    // One scrape per interval; it moves in step with the pod's life, so it is a counter of its own.
    scrapes.push(new CumulativeCounter({ __name__: 'promhttp_metric_handler_requests_total', ...target, code: '200' }));
  });
  const alive = (pod: number, time: number): boolean => {
    const p = s.pods[pod];
    return p !== undefined && time >= (p.from ?? -Infinity) && time <= (p.to ?? Infinity);
  };
  const traffic: Traffic = {
    rps: s.rps,
    pods: s.pods.length,
    alive,
    shares: s.codes.map((c) => c.share),
    latency: (r: Random, outcome: number) => logNormal(r, s.median * (outcome > 0 ? 2 : 1), s.sigma ?? 0.6),
    cells,
  };
  return { service: s, traffic, scrapes };
}

/** The scrape counters, one increment per interval while the pod runs. */
export function scrapeCounterSeries(played: PlayedGoService, times: readonly number[]): SmallSeries[] {
  return played.scrapes.map((counter, pod) => {
    for (const time of times) {
      if (!played.traffic.alive?.(pod, time)) continue;
      counter.add(1);
      counter.scrape(time);
    }
    return counter.series();
  });
}

export function goTruth(played: PlayedGoService): ServiceTruth {
  const histograms = played.traffic.cells.flatMap((c) => c.histograms);
  return {
    namespace: played.service.namespace,
    name: played.service.name,
    kind: played.service.kind,
    ...windowTotals(histograms, (labels) => /^5/.test(labels.code ?? '')),
    p99Bucket: quantileBucket(0.99, histograms),
    pods: played.service.pods.map((p) => p.name),
  };
}

/** A selector's regex for exactly these pods (pod names are DNS labels: no regex metacharacters). */
export function podRegex(pods: readonly string[]): string {
  return pods.join('|');
}
