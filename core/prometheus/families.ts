/**
 * The metric families Headroom understands, with the exporter that emits each and the labels it
 * assumes. Label mismatches cause most wrong numbers in tools like this, so every assumption is
 * written down here, next to the names, and the catalog checks it against what the store holds.
 */

/** How a family's series say which workload served them. */
export type HttpIdentity =
  /**
   * Scraped from the pod: `namespace` + `pod` target labels, or `kubernetes_namespace` +
   * `kubernetes_pod_name` from older pod scrape jobs (or OTLP series joined to `target_info`).
   */
  | 'pod'
  /** Istio: the server side is named by `destination_workload_namespace` / `destination_workload`. */
  | 'istio-destination'
  /** ingress-nginx: `exported_namespace` (or `namespace` with honor_labels) + `service` (or `exported_service` through a ServiceMonitor) of the backend. */
  | 'ingress-service';

export interface HttpFamily {
  id: string;
  title: string;
  /** Which library or proxy emits it. */
  exporter: string;
  /** Histogram name without `_bucket` / `_count` / `_sum`. */
  histogram: string;
  /** Multiply observed values by this to get seconds (Istio and old OpenTelemetry use milliseconds). */
  toSeconds: number;
  /** Candidate status labels in order, with the regex that marks a server error. */
  statusLabels: ReadonlyArray<{ label: string; serverError: string }>;
  /**
   * A counter of the same requests that carries the status label when the histogram does not
   * (go-grpc-prometheus puts `grpc_code` only on `grpc_server_handled_total`, and its histogram is
   * opt-in). When present it counts requests and errors, and detects the family without the histogram.
   */
  requestCounter?: string;
  routeLabels: readonly string[];
  /** Fixed matchers every query on this family needs (e.g. one Istio reporter, or the double count). */
  matchers: ReadonlyArray<{ label: string; op: '=' | '!=' | '=~' | '!~'; value: string }>;
  identity: HttpIdentity;
  /**
   * When several families describe the same workload, the lowest rank wins: the application's own
   * server-side view first, then the mesh, then the edge.
   */
  rank: number;
}

const HTTP_5XX = '5..|5xx';

export const HTTP_FAMILIES: readonly HttpFamily[] = [
  {
    id: 'opentelemetry',
    title: 'OpenTelemetry HTTP server (stable semantic conventions)',
    exporter: 'OpenTelemetry SDKs and agents (http.server.request.duration, seconds) via the Prometheus exporter or OTLP',
    histogram: 'http_server_request_duration_seconds',
    toSeconds: 1,
    statusLabels: [{ label: 'http_response_status_code', serverError: HTTP_5XX }],
    routeLabels: ['http_route'],
    matchers: [],
    identity: 'pod',
    rank: 1,
  },
  {
    id: 'opentelemetry-legacy',
    title: 'OpenTelemetry HTTP server (semantic conventions before 1.21, milliseconds)',
    exporter: 'OpenTelemetry SDKs without OTEL_SEMCONV_STABILITY_OPT_IN (http.server.duration, ms)',
    histogram: 'http_server_duration_milliseconds',
    toSeconds: 0.001,
    statusLabels: [{ label: 'http_status_code', serverError: HTTP_5XX }],
    routeLabels: ['http_route', 'http_target'],
    matchers: [],
    identity: 'pod',
    rank: 2,
  },
  {
    id: 'spring',
    title: 'Spring Boot / Micrometer http.server.requests',
    exporter: 'Micrometer with percentiles-histogram or SLO buckets enabled for http.server.requests',
    histogram: 'http_server_requests_seconds',
    toSeconds: 1,
    statusLabels: [
      { label: 'status', serverError: HTTP_5XX },
      { label: 'outcome', serverError: 'SERVER_ERROR' },
    ],
    routeLabels: ['uri'],
    matchers: [],
    identity: 'pod',
    rank: 1,
  },
  {
    id: 'promhttp',
    title: 'Go client_golang promhttp middleware (and compatible libraries)',
    exporter: 'promhttp.InstrumentHandlerDuration and look-alikes (FastAPI instrumentator, express-prom-bundle)',
    histogram: 'http_request_duration_seconds',
    toSeconds: 1,
    statusLabels: [
      { label: 'code', serverError: HTTP_5XX },
      { label: 'status_code', serverError: HTTP_5XX },
      { label: 'status', serverError: HTTP_5XX },
    ],
    routeLabels: ['handler', 'route', 'path'],
    matchers: [],
    identity: 'pod',
    rank: 3,
  },
  {
    id: 'grpc',
    title: 'gRPC server (go-grpc-prometheus / grpc-ecosystem)',
    exporter: 'grpc_prometheus: grpc_server_handled_total{grpc_code}, and the handling-time histogram (without grpc_code) when enabled',
    histogram: 'grpc_server_handling_seconds',
    toSeconds: 1,
    statusLabels: [{ label: 'grpc_code', serverError: 'Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss' }],
    requestCounter: 'grpc_server_handled_total',
    routeLabels: ['grpc_method'],
    matchers: [],
    identity: 'pod',
    rank: 3,
  },
  {
    id: 'istio',
    title: 'Istio (Envoy sidecar), destination reporter',
    exporter: 'Istio standard metrics; every request is reported by both proxies, so only reporter="destination" counts',
    histogram: 'istio_request_duration_milliseconds',
    toSeconds: 0.001,
    statusLabels: [{ label: 'response_code', serverError: '5..' }],
    routeLabels: [],
    matchers: [{ label: 'reporter', op: '=', value: 'destination' }],
    identity: 'istio-destination',
    rank: 5,
  },
  {
    id: 'ingress-nginx',
    title: 'ingress-nginx controller',
    exporter: 'kubernetes/ingress-nginx controller metrics (full request time at the edge)',
    histogram: 'nginx_ingress_controller_request_duration_seconds',
    toSeconds: 1,
    statusLabels: [{ label: 'status', serverError: HTTP_5XX }],
    routeLabels: ['path'],
    // Requests nginx could not route have no backend service.
    matchers: [{ label: 'service', op: '!=', value: '' }],
    identity: 'ingress-service',
    rank: 6,
  },
];

/** cAdvisor (kubelet /metrics/cadvisor): containers, without the pod cgroup row and the pause container. */
export const CADVISOR = {
  cpu: 'container_cpu_usage_seconds_total',
  memory: 'container_memory_working_set_bytes',
  cfsPeriods: 'container_cpu_cfs_periods_total',
  cfsThrottledPeriods: 'container_cpu_cfs_throttled_periods_total',
  /** When each container (each run, after a restart) started, unix seconds. */
  startTime: 'container_start_time_seconds',
  /** `container=""` is the pod cgroup (and, on containerd, the pause container); "POD" is dockershim's pause. */
  containerMatchers: [
    { label: 'container', op: '!=', value: '' },
    { label: 'container', op: '!=', value: 'POD' },
  ],
} as const;

/** kube-state-metrics v2 series Headroom reads. */
export const KSM = {
  podOwner: 'kube_pod_owner',
  replicaSetOwner: 'kube_replicaset_owner',
  requests: 'kube_pod_container_resource_requests',
  limits: 'kube_pod_container_resource_limits',
  restarts: 'kube_pod_container_status_restarts_total',
  lastTerminated: 'kube_pod_container_status_last_terminated_reason',
  deploymentReplicas: 'kube_deployment_spec_replicas',
  hpaInfo: 'kube_horizontalpodautoscaler_info',
  hpaMin: 'kube_horizontalpodautoscaler_spec_min_replicas',
  hpaMax: 'kube_horizontalpodautoscaler_spec_max_replicas',
  hpaCurrent: 'kube_horizontalpodautoscaler_status_current_replicas',
  hpaDesired: 'kube_horizontalpodautoscaler_status_desired_replicas',
  hpaSpecTarget: 'kube_horizontalpodautoscaler_spec_target_metric',
  hpaStatusTarget: 'kube_horizontalpodautoscaler_status_target_metric',
} as const;

/** Connection pools, by library; each needs its own names (there is no common convention). */
export const POOL_METRICS = {
  hikari: ['hikaricp_connections_active', 'hikaricp_connections_idle', 'hikaricp_connections_pending', 'hikaricp_connections_max', 'hikaricp_connections_timeout_total', 'hikaricp_connections_acquire_seconds_sum', 'hikaricp_connections_acquire_seconds_count'],
  goSql: ['go_sql_max_open_connections', 'go_sql_in_use_connections', 'go_sql_open_connections', 'go_sql_wait_count_total', 'go_sql_wait_duration_seconds_total'],
  pgbouncer: ['pgbouncer_pools_client_waiting_connections', 'pgbouncer_pools_client_active_connections', 'pgbouncer_pools_server_active_connections', 'pgbouncer_pools_client_maxwait_seconds', 'pgbouncer_databases_pool_size'],
  postgres: ['pg_stat_activity_count', 'pg_settings_max_connections', 'pg_settings_superuser_reserved_connections', 'pg_stat_database_xact_commit'],
} as const;

/** Shards, partitions and caches. */
export const SHARD_METRICS = {
  kafka: ['kafka_topic_partition_current_offset', 'kafka_consumergroup_lag', 'kafka_topic_partitions'],
  redis: ['redis_commands_processed_total', 'redis_keyspace_hits_total', 'redis_keyspace_misses_total', 'redis_connected_clients'],
} as const;
