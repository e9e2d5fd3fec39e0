import type { LatencyMixture } from './distributions';
import type { PodLife, WorkloadSpec } from './workload';
import { alive } from './workload';
import { STEPS } from './clock';

/**
 * An HTTP service as its users see it: demand in requests per second, routes with their share of
 * the traffic, and per step the latency distribution and the share of server errors.
 */
export type HttpInstrumentation =
  /** Go client_golang promhttp middleware, scraped: `http_request_duration_seconds`, `http_requests_total`. */
  | 'promhttp'
  /** Spring Boot 3 / Micrometer with SLO buckets: `http_server_requests_seconds`, `le="1.0"` style. */
  | 'spring'
  /** OpenTelemetry SDK Prometheus exporter, scraped: `http_server_request_duration_seconds` + pod labels. */
  | 'otel-scrape'
  /** OpenTelemetry pushed over OTLP: only `job`/`instance` on the series; pods via `target_info`. */
  | 'otel-otlp';

export interface HttpErrorModel {
  status: number;
  /** Share of the route's requests that fail with `status` at a step, in [0, 1]. */
  ratio: (step: number) => number;
  latency: (step: number) => LatencyMixture;
  /** Exception class, for instrumentations that record one (Spring). */
  exception?: string;
}

export interface HttpRoute {
  route: string;
  method: string;
  /** Share of the service's requests on this route. */
  weight: number;
  latency: (step: number) => LatencyMixture;
  error?: HttpErrorModel;
}

export interface HttpServiceModel {
  workload: WorkloadSpec;
  instrumentation: HttpInstrumentation;
  /** Container that serves HTTP and exposes the metrics. */
  container: string;
  metricsPort: number;
  /** Requests per second for the whole service at each step. */
  demand: Float64Array;
  routes: HttpRoute[];
  /** Common tags (Spring `application`) or OTel resource attributes. */
  serviceVersion: string;
}

/** Each pod's share of the service's requests: demand × skew / Σ skew over the live pods. */
export function podShares(pods: readonly PodLife[]): (pod: PodLife, step: number) => number {
  const skewSum = new Float64Array(STEPS);
  for (const pod of pods) for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) skewSum[i] = (skewSum[i] ?? 0) + pod.skew;
  return (pod, step) => (alive(pod, step) && (skewSum[step] ?? 0) > 0 ? pod.skew / (skewSum[step] as number) : 0);
}
