import { STEPS, STEP_SECONDS } from '../model/clock';
import { mixtureCdf, mixtureMean, type LatencyMixture } from '../model/distributions';
import { podShares, type HttpInstrumentation, type HttpServiceModel } from '../model/http';
import type { Family, Labels, ScrapeTarget, SeriesSet } from '../model/series-set';
import type { PodLife } from '../model/workload';
import type { Targets } from './targets';

/** client_golang's DefBuckets. */
const GO_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** OpenTelemetry semantic conventions' advised boundaries for http.server.request.duration. */
const OTEL_BUCKETS = [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** `management.metrics.distribution.slo.http.server.requests=50ms,100ms,250ms,500ms,1s,2s,5s`. */
const SPRING_SLO_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5];

/** Go's strconv 'g' formatting, as client_golang writes `le`. */
const goFloat = (b: number): string => String(b);
/** Java's Double.toString, as Micrometer writes `le` ("1.0", "0.05"). */
const javaDouble = (b: number): string => (Number.isInteger(b) ? `${b}.0` : String(b));

interface InstrumentationShape {
  buckets: number[];
  le: (bound: number) => string;
  histogram: Family;
  /** promhttp keeps a separate request counter next to the histogram. */
  counter?: Family;
  labels: (route: { route: string; method: string }, status: number, exception: string | undefined) => Labels;
}

function shapeOf(kind: HttpInstrumentation, application: string): InstrumentationShape {
  switch (kind) {
    case 'promhttp':
      return {
        buckets: GO_DEFAULT_BUCKETS,
        le: goFloat,
        histogram: { name: 'http_request_duration_seconds', type: 'histogram', help: 'A histogram of latencies for requests.' },
        counter: { name: 'http_requests', type: 'counter', help: 'A counter for requests to the wrapped handler.' },
        labels: (r, status) => ({ code: String(status), handler: r.route, method: r.method.toLowerCase() }),
      };
    case 'spring':
      return {
        buckets: SPRING_SLO_BUCKETS,
        le: javaDouble,
        histogram: { name: 'http_server_requests_seconds', type: 'histogram', help: 'Duration of HTTP server request handling' },
        labels: (r, status, exception) => ({
          application,
          error: exception ?? 'none',
          exception: exception ?? 'none',
          method: r.method,
          outcome: status >= 500 ? 'SERVER_ERROR' : status >= 400 ? 'CLIENT_ERROR' : 'SUCCESS',
          status: String(status),
          uri: r.route,
        }),
      };
    case 'otel-scrape':
    case 'otel-otlp':
      return {
        buckets: OTEL_BUCKETS,
        le: goFloat,
        histogram: {
          name: 'http_server_request_duration_seconds',
          type: 'histogram',
          help: 'Duration of HTTP server requests.',
        },
        labels: (r, status) => ({
          http_request_method: r.method,
          http_response_status_code: String(status),
          http_route: r.route,
          network_protocol_name: 'http',
          network_protocol_version: '1.1',
          url_scheme: 'http',
          otel_scope_name: 'io.opentelemetry.tomcat-10.0',
          otel_scope_version: '2.9.0-alpha',
          ...(status >= 500 ? { error_type: String(status) } : {}),
        }),
      };
  }
}

/** Per route and outcome, summed over pods: what the ground truth needs to compute exact quantiles. */
export interface HttpOutcomeTruth {
  route: string;
  method: string;
  status: number;
  /** Requests per step (expected values, summed over pods). */
  counts: Float64Array;
  latency: (step: number) => LatencyMixture;
}

export interface HttpTruth {
  model: HttpServiceModel;
  buckets: number[];
  outcomes: HttpOutcomeTruth[];
}

/** The scrape target of a service's metrics endpoint (other exporters in the same process share it). */
export function httpTarget(model: HttpServiceModel, pod: PodLife, targets: Targets): ScrapeTarget {
  if (model.instrumentation === 'otel-otlp') {
    // Pushed over OTLP: Prometheus derives job from service.namespace/service.name and instance from
    // service.instance.id; nothing ties the series to a pod except target_info.
    return targets.custom(`otlp:${pod.uid}`, () => ({ job: `${model.workload.namespace}/${model.workload.name}`, instance: instanceIdOf(pod) }));
  }
  return targets.pod(pod, model.container, model.metricsPort, model.workload.service?.name ?? model.workload.name);
}

/** service.instance.id: stable per pod (derived from its uid, as the k8s resource detector does). */
function instanceIdOf(pod: PodLife): string {
  return pod.uid;
}

/** Emits one service's HTTP metrics for every pod, exactly as its instrumentation would. */
export function emitHttpService(set: SeriesSet, model: HttpServiceModel, pods: readonly PodLife[], targets: Targets): HttpTruth {
  const shape = shapeOf(model.instrumentation, model.workload.name);
  const share = podShares(pods);
  const outcomes: HttpOutcomeTruth[] = [];

  // Bucket fractions and means are shared by every pod: compute them once per route and outcome.
  interface Outcome {
    route: { route: string; method: string };
    status: number;
    exception: string | undefined;
    weightAt: (step: number) => number;
    latency: (step: number) => LatencyMixture;
    fractions: Float64Array[];
    mean: Float64Array;
    truth: HttpOutcomeTruth;
  }
  const plan: Outcome[] = [];
  for (const r of model.routes) {
    const errorRatio = (i: number): number => (r.error ? Math.min(1, Math.max(0, r.error.ratio(i))) : 0);
    const variants: Array<Omit<Outcome, 'fractions' | 'mean' | 'truth'>> = [
      { route: r, status: 200, exception: undefined, weightAt: (i) => r.weight * (1 - errorRatio(i)), latency: r.latency },
    ];
    if (r.error) {
      const e = r.error;
      variants.push({ route: r, status: e.status, exception: e.exception, weightAt: (i) => r.weight * errorRatio(i), latency: e.latency });
    }
    for (const v of variants) {
      const fractions = shape.buckets.map(() => new Float64Array(STEPS));
      const mean = new Float64Array(STEPS);
      for (let i = 0; i < STEPS; i++) {
        const mixture = v.latency(i);
        shape.buckets.forEach((b, k) => ((fractions[k] as Float64Array)[i] = mixtureCdf(mixture, b)));
        mean[i] = mixtureMean(mixture);
      }
      const truth: HttpOutcomeTruth = { route: v.route.route, method: v.route.method, status: v.status, counts: new Float64Array(STEPS), latency: v.latency };
      outcomes.push(truth);
      plan.push({ ...v, fractions, mean, truth });
    }
  }

  for (const pod of pods) {
    const target = httpTarget(model, pod, targets);
    const app = pod.containers.find((c) => c.spec.name === model.container);
    if (!app) throw new Error(`${pod.name} has no container ${model.container}`);
    for (const o of plan) {
      const bucketSeries = shape.buckets.map(() => new Float64Array(STEPS).fill(Number.NaN));
      const infSeries = new Float64Array(STEPS).fill(Number.NaN);
      const sumSeries = new Float64Array(STEPS).fill(Number.NaN);
      for (const inc of app.incarnations) {
        const cumulative = new Float64Array(shape.buckets.length);
        let count = 0;
        let sum = 0;
        const end = Math.min(STEPS, inc.end);
        for (let i = inc.start; i < end; i++) {
          const n = (model.demand[i] ?? 0) * share(pod, i) * STEP_SECONDS * o.weightAt(i);
          o.truth.counts[i] = (o.truth.counts[i] ?? 0) + n;
          count += n;
          sum += n * (o.mean[i] ?? 0);
          // Client libraries create a label set on its first observation; before that it does not exist.
          if (count < 1) continue;
          for (let k = 0; k < shape.buckets.length; k++) {
            cumulative[k] = (cumulative[k] ?? 0) + n * ((o.fractions[k] as Float64Array)[i] ?? 0);
            (bucketSeries[k] as Float64Array)[i] = Math.floor(cumulative[k] as number);
          }
          infSeries[i] = Math.floor(count);
          sumSeries[i] = sum;
        }
      }
      const labels = shape.labels(o.route, o.status, o.exception);
      shape.buckets.forEach((b, k) => set.add(shape.histogram, `${shape.histogram.name}_bucket`, { ...labels, le: shape.le(b) }, bucketSeries[k] as Float64Array, target));
      set.add(shape.histogram, `${shape.histogram.name}_bucket`, { ...labels, le: '+Inf' }, infSeries, target);
      set.add(shape.histogram, `${shape.histogram.name}_count`, labels, infSeries, target);
      set.add(shape.histogram, `${shape.histogram.name}_sum`, labels, sumSeries, target);
      if (shape.counter) set.add(shape.counter, `${shape.counter.name}_total`, labels, infSeries, target);
    }
    emitInstrumentationExtras(set, model, pod, target);
  }
  return { model, buckets: shape.buckets, outcomes };
}

/** What else each instrumentation exposes next to the request metrics. */
function emitInstrumentationExtras(set: SeriesSet, model: HttpServiceModel, pod: PodLife, target: ScrapeTarget): void {
  const lifetime = new Float64Array(STEPS).fill(Number.NaN);
  for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) lifetime[i] = 1;
  switch (model.instrumentation) {
    case 'promhttp': {
      // promhttp counts scrapes of /metrics: a request counter that is NOT service traffic.
      const scrapes = new Float64Array(STEPS).fill(Number.NaN);
      for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) scrapes[i] = i - pod.start + 1;
      const family: Family = { name: 'promhttp_metric_handler_requests', type: 'counter', help: 'Total number of scrapes by HTTP status code.' };
      set.add(family, 'promhttp_metric_handler_requests_total', { code: '200' }, scrapes, target);
      set.add(family, 'promhttp_metric_handler_requests_total', { code: '500' }, lifetime.map((v) => v * 0), target);
      break;
    }
    case 'otel-scrape':
      set.add(
        { name: 'target_info', type: 'gauge', help: 'Target metadata' },
        'target_info',
        {
          service_name: model.workload.name,
          service_namespace: model.workload.namespace,
          service_version: model.serviceVersion,
          telemetry_sdk_language: 'java',
          telemetry_sdk_name: 'opentelemetry',
          telemetry_sdk_version: '1.43.0',
        },
        lifetime,
        target,
      );
      break;
    case 'otel-otlp':
      set.add(
        { name: 'target_info', type: 'gauge', help: 'Target metadata' },
        'target_info',
        {
          k8s_namespace_name: model.workload.namespace,
          k8s_pod_name: pod.name,
          k8s_pod_uid: pod.uid,
          k8s_node_name: pod.node.name,
          k8s_deployment_name: model.workload.name,
          k8s_container_name: model.container,
          service_name: model.workload.name,
          service_namespace: model.workload.namespace,
          service_version: model.serviceVersion,
          telemetry_sdk_language: 'java',
          telemetry_sdk_name: 'opentelemetry',
          telemetry_sdk_version: '1.43.0',
        },
        lifetime,
        target,
      );
      break;
    case 'spring':
      break;
  }
}
