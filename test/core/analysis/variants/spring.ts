/**
 * Spring Boot 3.2 with Micrometer 1.12's PrometheusMeterRegistry, scraped by a prometheus-operator
 * PodMonitor on `/actuator/prometheus` (`namespace`, `pod`, `container`, `endpoint`, `job`, `instance`).
 *
 * `http.server.requests` is a Timer: by default it exports only `http_server_requests_seconds_count`,
 * `_sum` and the gauge `_max` (the slowest request of the last two minutes), labelled `application`
 * (common tag), `error`, `exception`, `method`, `outcome`, `status`, `uri`. Buckets exist only with
 * `management.metrics.distribution.percentiles-histogram.http.server.requests=true`, and then they
 * are Micrometer's PercentileHistogramBuckets between 1 ms and 30 s (`le="0.001048576"` …), about seventy.
 */
import { Random } from '../../../lab/model/random';
import { cellSeries, CumulativeHistogram, deploymentPods, logNormal, ownerSeries, playTraffic, quantileBucket, RecentMax, windowTotals, type Cell, type Labels, type OwnedPod, type ServiceTruth, type VariantFleet } from './fleet';

/**
 * Micrometer's PercentileHistogramBuckets: 1, 2, 3 ns, then from each power of 4 onwards three equal
 * steps up to just below the next one. A Timer keeps those within its expected range [1 ms, 30 s], adds
 * both ends (DistributionStatisticConfig.getHistogramBuckets), and the registry writes them in seconds
 * with Java's Double.toString: "0.001", "0.001048576", … "28.633115306", "30.0".
 */
export function micrometerTimerBuckets(): string[] {
  const nanos: number[] = [1, 2, 3];
  for (let exp = 2; exp < 40; exp += 2) {
    const first = 2 ** exp;
    const delta = Math.floor(first / 3);
    const next = first * 4 - delta;
    for (let current = first; current < next; current += delta) nanos.push(current);
  }
  const inRange = nanos.filter((n) => n > 1e6 && n < 30e9).map((n) => String(n / 1e9));
  return ['0.001', ...inRange, '30.0'];
}

interface SpringApp {
  name: string;
  replicas: number;
  uri: string;
  rps: number;
  codes: Array<{ code: string; share: number }>;
  median: number;
  percentilesHistogram: boolean;
}

const NAMESPACE = 'finance';
export const BILLING: SpringApp = { name: 'billing', replicas: 2, uri: '/invoices/{id}', rps: 7, codes: [{ code: '404', share: 0.03 }, { code: '500', share: 0.012 }], median: 0.09, percentilesHistogram: false };
export const LEDGER: SpringApp = { name: 'ledger', replicas: 2, uri: '/entries', rps: 5, codes: [{ code: '503', share: 0.01 }], median: 0.03, percentilesHistogram: true };

const outcomeOf = (status: string): string => ({ '2': 'SUCCESS', '3': 'REDIRECTION', '4': 'CLIENT_ERROR', '5': 'SERVER_ERROR' })[status[0] ?? ''] ?? 'UNKNOWN';

export function springFleet(apps: readonly SpringApp[], seed = 'spring'): VariantFleet {
  const random = new Random(seed);
  const owned: OwnedPod[] = [];
  const played = apps.map((app) => {
    const pods = deploymentPods(random, NAMESPACE, app.name, app.replicas);
    owned.push(...pods);
    const statuses = ['200', ...app.codes.map((c) => c.code)];
    const cells: Cell[] = pods.flatMap((p, pod) =>
      statuses.map((status, outcome) => {
        const labels: Labels = {
          namespace: NAMESPACE,
          pod: p.pod,
          container: app.name,
          endpoint: 'http',
          job: `${NAMESPACE}/${app.name}`,
          instance: `${p.pod}:8080`,
          application: app.name,
          error: status.startsWith('5') ? 'IllegalStateException' : 'none',
          exception: status.startsWith('5') ? 'IllegalStateException' : 'none',
          method: 'GET',
          outcome: outcomeOf(status),
          status,
          uri: status === '404' ? 'NOT_FOUND' : app.uri,
        };
        const timer = new CumulativeHistogram('http_server_requests_seconds', labels, app.percentilesHistogram ? micrometerTimerBuckets() : null);
        return { pod, outcome, histograms: [timer], counters: [], gauges: [new RecentMax({ __name__: 'http_server_requests_seconds_max', ...labels })] };
      }),
    );
    const traffic = { rps: app.rps, pods: app.replicas, shares: app.codes.map((c) => c.share), latency: (r: Random, outcome: number) => logNormal(r, app.median, 0.5) * (outcome > 0 ? 1.5 : 1), cells };
    return { app, cells, traffic };
  });
  playTraffic(random, played.map((p) => p.traffic));
  const services: ServiceTruth[] = played.map(({ app, cells }) => {
    const timers = cells.flatMap((c) => c.histograms);
    return {
      namespace: NAMESPACE,
      name: app.name,
      kind: 'Deployment',
      ...windowTotals(timers, (labels) => labels.outcome === 'SERVER_ERROR'),
      p99Bucket: app.percentilesHistogram ? quantileBucket(0.99, timers) : null,
    };
  });
  return { series: [...played.flatMap((p) => cellSeries(p.cells)), ...ownerSeries(owned)], services };
}
