import { CADVISOR, HTTP_FAMILIES, KSM, POOL_METRICS, SHARD_METRICS, type HttpFamily } from './families';
import { anyOf, selector, type Matcher } from './promql';
import type { QueryApi } from './query-api';

/**
 * Preflight: which of the families Headroom understands this store holds, detected by names AND by
 * labels (the same histogram name means different things in different libraries), and what each
 * Headroom feature is missing. Costs a fixed number of cheap index lookups (label names and values
 * over the window), whatever the size of the fleet.
 */
export interface DetectedHttpFamily {
  family: HttpFamily;
  /** The status label present on the series and the regex that marks a server error; null = errors unknown. */
  status: { label: string; serverError: string } | null;
  route: string | null;
  /** The series that count requests and carry the status: `<histogram>_count`, or the family's `requestCounter`. */
  requests: string;
  /** Label names seen on `requests`. */
  labels: string[];
  /** `_bucket` series exist (Spring without percentiles-histogram has only `_count`/`_sum`/`_max`). */
  hasBuckets: boolean;
  /** Series carry `namespace` + `pod` (scraped from the pod). */
  podLabels: boolean;
  /**
   * Series carry `kubernetes_namespace` + `kubernetes_pod_name` instead: the pod scrape job of older
   * Prometheus configurations (the prometheus Helm chart's `kubernetes-pods` before v15, many hand-written
   * ones) relabelled the pod's metadata to those names.
   */
  legacyPodLabels: boolean;
  /** Some series lack `pod` (OTLP push, or a collector in between): they are named by job/instance. */
  jobInstance: boolean;
}

/** The pod and namespace labels of older pod scrape jobs (see DetectedHttpFamily.legacyPodLabels). */
export const LEGACY_POD_LABELS = { namespace: 'kubernetes_namespace', pod: 'kubernetes_pod_name' } as const;

/** Matchers for series that name no pod under either name: pushed over OTLP, or relayed. */
export const NO_POD: readonly Matcher[] = [
  { label: 'pod', op: '=', value: '' },
  { label: LEGACY_POD_LABELS.pod, op: '=', value: '' },
];

export type Feature =
  | 'red'
  | 'latency'
  | 'slo'
  | 'workload-mapping'
  | 'container-cpu'
  | 'container-memory'
  | 'cpu-throttling'
  | 'oom-kills'
  | 'requests-limits'
  | 'hpa'
  | 'connection-pools'
  | 'kafka'
  | 'redis';

export interface FeatureStatus {
  feature: Feature;
  available: boolean;
  /** What is missing and what to do about it, in a sentence; empty when available. */
  missing: string;
}

export interface MetricCatalog {
  window: { start: number; end: number };
  /** Every metric name of interest present in the window. */
  present: string[];
  http: DetectedHttpFamily[];
  /** How pods are mapped to workloads inside PromQL. */
  workloadMapping: 'kube-state-metrics' | 'pod-name';
  /** `target_info` carries `k8s_namespace_name` / `k8s_pod_name` (OTLP resource attributes). */
  targetInfoPods: boolean;
  cadvisorLabels: 'container' | 'container_name' | null;
  features: FeatureStatus[];
  warnings: string[];
}

const KNOWN_NAMES: readonly string[] = [
  ...HTTP_FAMILIES.flatMap((f) => [`${f.histogram}_bucket`, `${f.histogram}_count`, `${f.histogram}_sum`, ...(f.requestCounter ? [f.requestCounter] : [])]),
  'http_requests_total',
  'target_info',
  CADVISOR.cpu,
  CADVISOR.memory,
  CADVISOR.cfsPeriods,
  CADVISOR.cfsThrottledPeriods,
  CADVISOR.startTime,
  ...Object.values(KSM),
  ...Object.values(POOL_METRICS).flat(),
  ...Object.values(SHARD_METRICS).flat(),
];

export async function detectCatalog(
  api: QueryApi,
  window: { start: number; end: number },
  global: readonly Matcher[] = [],
  signal?: AbortSignal,
): Promise<MetricCatalog> {
  const warnings: string[] = [];
  const { start, end } = window;
  const known = selector('', [{ label: '__name__', op: '=~', value: anyOf(KNOWN_NAMES) }], global);
  const names = await api.labelValues('__name__', [known], start, end, signal);
  warnings.push(...names.warnings);
  const present = new Set(names.data);
  // A Thanos, Mimir or VictoriaMetrics in front of several clusters: unless a global matcher picks one,
  // the same namespace and pod names in different clusters are added together in every aggregate.
  const clusters = await api.labelValues('cluster', [known], start, end, signal);
  warnings.push(...clusters.warnings);
  if (clusters.data.length > 1) {
    warnings.push(`the store holds ${clusters.data.length} clusters (cluster=${clusters.data.slice(0, 5).join(', ')}) and no matcher picks one: workloads with the same namespace and name are added together across them; analyse one cluster at a time with a global matcher such as cluster="${clusters.data[0]}"`);
  }
  const has = (name: string): boolean => present.has(name);

  const http: DetectedHttpFamily[] = [];
  for (const family of HTTP_FAMILIES) {
    const requests = family.requestCounter && has(family.requestCounter) ? family.requestCounter : `${family.histogram}_count`;
    if (!has(requests)) continue;
    const labelResult = await api.labelNames([selector(requests, family.matchers, global)], start, end, signal);
    warnings.push(...labelResult.warnings);
    const labels = labelResult.data;
    if (labels.length === 0) continue;
    // Series pushed over OTLP (or relayed by a collector) have no `pod`; scraped ones always do (under one name or the other).
    const withoutPod = await api.labelValues('job', [selector(requests, [...family.matchers, ...NO_POD], global)], start, end, signal);
    warnings.push(...withoutPod.warnings);
    const status = family.statusLabels.find((s) => labels.includes(s.label)) ?? null;
    const route = family.routeLabels.find((r) => labels.includes(r)) ?? null;
    const hasBuckets = has(`${family.histogram}_bucket`);
    if (!hasBuckets) warnings.push(`${family.title}: no ${family.histogram}_bucket series, so latency percentiles are unavailable for it (for Spring, enable management.metrics.distribution.percentiles-histogram.http.server.requests; for go-grpc-prometheus, call EnableHandlingTimeHistogram)`);
    if (!status) warnings.push(`${family.title}: none of the status labels ${family.statusLabels.map((s) => s.label).join(', ')} is present, so its error ratio is unknown`);
    const podLabels = labels.includes('pod') && labels.includes('namespace');
    const legacyPodLabels = labels.includes(LEGACY_POD_LABELS.pod) && labels.includes(LEGACY_POD_LABELS.namespace);
    const jobInstance = withoutPod.data.length > 0;
    if (family.identity === 'pod' && !podLabels && !legacyPodLabels && !jobInstance) {
      // A pod but no namespace (a scrape job that drops it): no workload can be named, so no number would be right.
      warnings.push(`${family.title}: ${requests} names pods but not their namespace (labels: ${labels.join(', ')}), so its requests cannot be mapped to workloads; keep the namespace label in the pod scrape job (relabel __meta_kubernetes_namespace to namespace)`);
      continue;
    }
    http.push({
      family,
      requests,
      status,
      route,
      labels,
      hasBuckets,
      podLabels,
      legacyPodLabels,
      jobInstance,
    });
  }

  let targetInfoPods = false;
  if (has('target_info')) {
    const labels = await api.labelNames([selector('target_info', [{ label: 'k8s_pod_name', op: '!=', value: '' }], global)], start, end, signal);
    targetInfoPods = labels.data.includes('k8s_pod_name') && labels.data.includes('k8s_namespace_name');
  }

  let cadvisorLabels: MetricCatalog['cadvisorLabels'] = null;
  if (has(CADVISOR.cpu)) {
    const labels = await api.labelNames([selector(CADVISOR.cpu, [], global)], start, end, signal);
    cadvisorLabels = labels.data.includes('container') ? 'container' : labels.data.includes('container_name') ? 'container_name' : null;
    if (cadvisorLabels === 'container_name') warnings.push('cAdvisor series use the pre-1.16 labels container_name/pod_name; container metrics need the current container/pod labels');
  }

  const ksm = has(KSM.podOwner) && has(KSM.replicaSetOwner);
  const workloadMapping: MetricCatalog['workloadMapping'] = ksm ? 'kube-state-metrics' : 'pod-name';
  if (!ksm) warnings.push('kube-state-metrics (kube_pod_owner, kube_replicaset_owner) is missing: workloads are inferred from pod names, which is right for Deployments, StatefulSets and DaemonSets with default naming');

  const features = featureStatus(has, http, cadvisorLabels, ksm);
  return { window, present: [...present].sort(), http, workloadMapping, targetInfoPods, cadvisorLabels, features, warnings };
}

function featureStatus(
  has: (name: string) => boolean,
  http: readonly DetectedHttpFamily[],
  cadvisor: MetricCatalog['cadvisorLabels'],
  ksm: boolean,
): FeatureStatus[] {
  const status = (feature: Feature, available: boolean, missing: string): FeatureStatus => ({ feature, available, missing: available ? '' : missing });
  const httpNames = HTTP_FAMILIES.map((f) => `${f.histogram}_*`).join(', ');
  return [
    status('red', http.length > 0, `no HTTP server histogram found (looked for ${httpNames}); instrument the services or enable the mesh/ingress metrics`),
    status('latency', http.some((h) => h.hasBuckets), 'no _bucket series for any HTTP histogram: percentiles need histogram buckets'),
    status('slo', http.some((h) => h.status !== null), 'no HTTP histogram with a status label: error ratios (and SLO burn) need one'),
    status('workload-mapping', ksm, 'kube-state-metrics is not scraped: pods are mapped to workloads by their names'),
    status('container-cpu', cadvisor === 'container', 'cAdvisor container_cpu_usage_seconds_total with a `container` label is missing (kubelet /metrics/cadvisor scrape)'),
    status('container-memory', has(CADVISOR.memory), 'cAdvisor container_memory_working_set_bytes is missing'),
    status('cpu-throttling', has(CADVISOR.cfsThrottledPeriods) && has(CADVISOR.cfsPeriods), 'container_cpu_cfs_throttled_periods_total is missing (cAdvisor exports it only for containers with a CPU limit)'),
    status('oom-kills', has(KSM.restarts) && has(KSM.lastTerminated), 'kube_pod_container_status_restarts_total / _last_terminated_reason (kube-state-metrics) are missing'),
    status('requests-limits', has(KSM.requests), 'kube_pod_container_resource_requests (kube-state-metrics v2) is missing; requests can still come from the cluster or manifests'),
    status('hpa', has(KSM.hpaMax) && has(KSM.hpaCurrent), 'kube_horizontalpodautoscaler_* (kube-state-metrics) is missing; HPA specs can still come from the cluster or manifests'),
    status(
      'connection-pools',
      Object.values(POOL_METRICS).some((names) => names.some(has)),
      'no connection-pool metrics (HikariCP, go_sql_*, pgbouncer_exporter, postgres_exporter) found',
    ),
    status('kafka', has('kafka_consumergroup_lag') || has('kafka_topic_partition_current_offset'), 'kafka_exporter metrics are missing'),
    status('redis', has('redis_commands_processed_total'), 'redis_exporter metrics are missing'),
  ];
}
