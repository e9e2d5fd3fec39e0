/**
 * The OpenTelemetry Java agent 1.32 (semantic conventions 1.20) with its Prometheus exporter
 * (`OTEL_METRICS_EXPORTER=prometheus`, port 9464), scraped by a prometheus-operator PodMonitor that adds
 * `namespace`, `pod`, `container`, `endpoint` and `job="<namespace>/<podmonitor>"`.
 *
 * Before the stable HTTP conventions the server histogram is `http.server.duration` in milliseconds:
 * `http_server_duration_milliseconds_{bucket,count,sum}` with `http_method`, `http_route`,
 * `http_scheme`, `http_status_code`, `net_host_name`, `net_host_port`, `net_protocol_name`,
 * `net_protocol_version`, and the exporter's `otel_scope_name` / `otel_scope_version`. Its default
 * buckets start at 0 ms. One service runs with `OTEL_SEMCONV_STABILITY_OPT_IN=http/dup`, which emits
 * the old histogram and the stable `http_server_request_duration_seconds` for every request.
 */
import { Random } from '../../../lab/model/random';
import type { SmallSeries } from '../../prometheus/small-prometheus';
import { cellSeries, CumulativeHistogram, deploymentPods, logNormal, ownerSeries, playTraffic, quantileBucket, TIMES, windowTotals, type Cell, type Labels, type OwnedPod, type ServiceTruth, type VariantFleet } from './fleet';

/** The SDK's default explicit buckets for http.server.duration (ms). */
const LEGACY_BUCKETS_MS = ['0', '5', '10', '25', '50', '75', '100', '250', '500', '750', '1000', '2500', '5000', '7500', '10000'];
/** The stable conventions' advisory buckets for http.server.request.duration (s). */
const STABLE_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.25', '0.5', '0.75', '1', '2.5', '5', '7.5', '10'];

interface OtelService {
  name: string;
  replicas: number;
  route: string;
  rps: number;
  /** Status codes after 200, with their shares. */
  codes: Array<{ code: string; share: number }>;
  median: number;
  dup: boolean;
}

const NAMESPACE = 'payments';
const SERVICES: OtelService[] = [
  { name: 'ledger', replicas: 2, route: '/api/transfers/{id}', rps: 9, codes: [{ code: '400', share: 0.03 }, { code: '500', share: 0.008 }], median: 0.035, dup: false },
  { name: 'fraud-check', replicas: 2, route: '/score', rps: 4, codes: [{ code: '503', share: 0.02 }], median: 0.16, dup: false },
  { name: 'gateway', replicas: 1, route: '/v1/payments', rps: 6, codes: [{ code: '502', share: 0.01 }], median: 0.05, dup: true },
];

function legacyLabels(s: OtelService, code: string): Labels {
  return {
    http_method: 'POST',
    http_route: s.route,
    http_scheme: 'http',
    http_status_code: code,
    net_host_name: s.name,
    net_host_port: '8080',
    net_protocol_name: 'http',
    net_protocol_version: '1.1',
    otel_scope_name: 'io.opentelemetry.tomcat-10.0',
    otel_scope_version: '1.32.0-alpha',
  };
}

function stableLabels(s: OtelService, code: string): Labels {
  return {
    http_request_method: 'POST',
    http_response_status_code: code,
    http_route: s.route,
    network_protocol_version: '1.1',
    url_scheme: 'http',
    otel_scope_name: 'io.opentelemetry.tomcat-10.0',
    otel_scope_version: '1.32.0-alpha',
  };
}

export function otelLegacyFleet(seed = 'otel-legacy'): VariantFleet {
  const random = new Random(seed);
  const owned: OwnedPod[] = [];
  const traffic = SERVICES.map((s) => {
    const pods = deploymentPods(random, NAMESPACE, s.name, s.replicas);
    owned.push(...pods);
    const codes = ['200', ...s.codes.map((c) => c.code)];
    const cells: Cell[] = pods.flatMap((p, pod) =>
      codes.map((code, outcome) => {
        const target: Labels = { namespace: NAMESPACE, pod: p.pod, container: s.name, endpoint: 'otel-metrics', instance: `${p.pod}:9464`, job: `${NAMESPACE}/${s.name}` };
        const legacy = new CumulativeHistogram('http_server_duration_milliseconds', { ...target, ...legacyLabels(s, code) }, LEGACY_BUCKETS_MS, 0.001);
        const stable = new CumulativeHistogram('http_server_request_duration_seconds', { ...target, ...stableLabels(s, code) }, STABLE_BUCKETS);
        return { pod, outcome, histograms: s.dup ? [legacy, stable] : [legacy], counters: [] };
      }),
    );
    return { service: s, cells, traffic: { rps: s.rps, pods: s.replicas, shares: s.codes.map((c) => c.share), latency: (r: Random, outcome: number) => logNormal(r, s.median * (outcome > 0 ? 2 : 1), 0.6), cells } };
  });
  playTraffic(random, traffic.map((t) => t.traffic));

  // The exporter's resource description; no k8s.* attributes, since nobody set OTEL_RESOURCE_ATTRIBUTES.
  const targetInfo: SmallSeries[] = owned.map((p) => ({
    labels: { __name__: 'target_info', namespace: NAMESPACE, pod: p.pod, instance: `${p.pod}:9464`, job: `${NAMESPACE}/${p.deployment}`, service_name: p.deployment ?? '', telemetry_sdk_language: 'java', telemetry_sdk_version: '1.32.0' },
    samples: TIMES.map((t): [number, number] => [t, 1]),
  }));
  const services: ServiceTruth[] = traffic.map(({ service, cells }) => {
    // The numbers of a dup service come from the stable histogram (index 1), which Headroom prefers.
    const measured = cells.map((c) => c.histograms[c.histograms.length - 1] as CumulativeHistogram);
    return {
      namespace: NAMESPACE,
      name: service.name,
      kind: 'Deployment',
      ...windowTotals(measured, (labels) => /^5/.test(labels.http_status_code ?? labels.http_response_status_code ?? '')),
      p99Bucket: quantileBucket(0.99, measured),
    };
  });
  return { series: [...traffic.flatMap((t) => cellSeries(t.cells)), ...targetInfo, ...ownerSeries(owned)], services };
}
