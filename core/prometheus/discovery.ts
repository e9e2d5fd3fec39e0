/**
 * Finding a Prometheus-compatible store inside a cluster, and saying exactly what was tried. Auto-detection in
 * Lens and Headlamp fails with one generic sentence ("metrics are not available"); this report lists every
 * candidate, the URL it was probed at and why it was turned down, so that the user can fix it or type a URL.
 *
 * 1. One paged, read-only list of Services in all namespaces (if RBAC refuses that, the namespaces monitoring
 *    stacks usually live in, one by one), matched against the labels the common installs put on their Services
 *    (krr's selectors, plus prometheus-operator's `operated-prometheus=true`).
 * 2. Ports that cannot be the query API are set aside with the reason (the config-reloader's `reloader-web`,
 *    gRPC); the others are probed through the API server's service proxy with real queries: `vector(1)` proves
 *    a PromQL engine answers, then one instant query counts `up`, clusters, kube-state-metrics and cAdvisor
 *    series to prove it holds the data Headroom needs. Probes are POSTs, never retried, with a short timeout.
 * 3. Among the candidates that work, the best is chosen: first the one holding the Kubernetes metrics Headroom
 *    reads (cAdvisor and kube-state-metrics), then a global view (Thanos Querier, Mimir, VictoriaMetrics) over
 *    a single Prometheus, then the one with more scrape targets. Global views are preferred because they keep
 *    history longer than a cluster Prometheus (kube-prometheus-stack keeps 10 days by default, and right-sizing
 *    wants 14) and deduplicate HA replicas; krr tries them in the same order. When a global view holds several
 *    clusters the candidate says so, because every query then has to filter on the cluster label.
 *
 * A direct URL never needs any of this: connect a `PrometheusClient` to it.
 */
import { ApiException, CoreV1Api, Observable, type ConfigurationOptions, type RequestContext, type ResponseContext, type V1Service } from '@kubernetes/client-node';
import { KubernetesError } from '../kubernetes/errors';
import type { SelectedContext } from '../kubernetes/kubeconfig';
import { PrometheusError, type PrometheusClient } from './client';
import { createKubeProxyClient, kubeProxyUrl, type KubeProxyTarget } from './kube-proxy';

export type StoreKind = 'prometheus' | 'thanos' | 'mimir' | 'victoriametrics';

export interface DiscoveryOptions {
  signal?: AbortSignal;
  /** How long one probe request may take. */
  probeTimeoutMs?: number;
  /** How long one list request to the API server may take. */
  listTimeoutMs?: number;
  /** Headers for the probes, e.g. `X-Scope-OrgID` for a multi-tenant Mimir (the service proxy passes them on). */
  headers?: Record<string, string>;
}

/** What a candidate holds now, from one instant query. */
export interface CandidateData {
  /** Series of `up`: scrape targets. */
  targets: number;
  /** Distinct values of the `cluster` label on `up` (1 when there is no such label). */
  clusters: number;
  kubeStateMetrics: boolean;
  cadvisor: boolean;
}

export type CandidateOutcome = 'works' | 'rejected' | 'not-tried';

export interface DiscoveryCandidate {
  kind: StoreKind;
  namespace: string;
  service: string;
  port: number;
  portName: string | null;
  /** The labels that made this Service a candidate, as a selector. */
  matchedBy: string;
  /** Hand this to `createKubeProxyClient` to query the candidate. */
  target: KubeProxyTarget;
  /** The service-proxy URL probed (or that would have been). */
  url: string;
  outcome: CandidateOutcome;
  /** Whether a query was sent to it (ports that cannot be the API are rejected without one). */
  probed: boolean;
  /** One sentence: what the probe proved, or why the candidate was turned down or not tried. */
  reason: string;
  /** The client's full message when a probe failed. */
  error: string | null;
  data: CandidateData | null;
}

export interface DiscoveryReport {
  context: string;
  server: string;
  /** Services listed (in all namespaces, or in the fallback namespaces when RBAC refused the cluster-wide list). */
  servicesSeen: number;
  /** The best working candidate; null when none works. */
  selected: DiscoveryCandidate | null;
  /** Every candidate: the working ones best first, then the rejected, then those not tried. */
  candidates: DiscoveryCandidate[];
  /** How the search went (refused lists, namespaces looked in). */
  notes: string[];
  /** What the user can do when nothing was found; empty when something was. */
  nextSteps: string[];
}

interface ServiceRule {
  kind: StoreKind;
  labels: Record<string, string>;
  pathPrefix?: string;
}

/**
 * Labels of the Services that common installs create, most specific first; the first rule a Service matches
 * decides its kind. From krr's discovery (robusta-dev/krr, prometheus/loaders), plus prometheus-operator's
 * governing Service and the generic `app.kubernetes.io/name=prometheus` last.
 */
const SERVICE_RULES: ServiceRule[] = [
  { kind: 'thanos', labels: { 'app.kubernetes.io/name': 'thanos', 'app.kubernetes.io/component': 'query' } },
  { kind: 'thanos', labels: { 'app.kubernetes.io/name': 'thanos-query' } },
  { kind: 'thanos', labels: { app: 'thanos-query' } },
  { kind: 'thanos', labels: { app: 'thanos-querier' } },
  // Mimir serves the Prometheus API under /prometheus on its query-frontend.
  {
    kind: 'mimir',
    labels: { 'app.kubernetes.io/name': 'mimir', 'app.kubernetes.io/component': 'query-frontend' },
    pathPrefix: '/prometheus',
  },
  { kind: 'victoriametrics', labels: { 'app.kubernetes.io/name': 'vmsingle' } },
  { kind: 'victoriametrics', labels: { 'app.kubernetes.io/name': 'victoria-metrics-single' } },
  // A VictoriaMetrics cluster serves tenant 0 under /select/0/prometheus on vmselect.
  { kind: 'victoriametrics', labels: { 'app.kubernetes.io/name': 'vmselect' }, pathPrefix: '/select/0/prometheus' },
  { kind: 'victoriametrics', labels: { app: 'vmselect' }, pathPrefix: '/select/0/prometheus' },
  { kind: 'prometheus', labels: { app: 'kube-prometheus-stack-prometheus' } },
  { kind: 'prometheus', labels: { 'operated-prometheus': 'true' } },
  { kind: 'prometheus', labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' } },
  { kind: 'prometheus', labels: { app: 'prometheus', component: 'server' } },
  { kind: 'prometheus', labels: { app: 'prometheus-server' } },
  { kind: 'prometheus', labels: { app: 'prometheus-operator-prometheus' } },
  { kind: 'prometheus', labels: { app: 'rancher-monitoring-prometheus' } },
  { kind: 'prometheus', labels: { app: 'prometheus-prometheus' } },
  { kind: 'prometheus', labels: { app: 'stack-prometheus' } },
  { kind: 'prometheus', labels: { 'app.kubernetes.io/name': 'prometheus' } },
];

/** Port names the query API is usually served on, best first. */
const API_PORT_NAMES = ['http-web', 'web', 'http', 'http-query', 'http-api', 'http-metrics', 'https-web', 'https'];
/** Port numbers of Prometheus, VictoriaMetrics single (Helm, operator), vmselect, Thanos Query, Mimir, a plain Service. */
const API_PORT_NUMBERS = [9090, 8428, 8429, 8481, 10902, 8080, 80];
const MAX_PORTS_PER_SERVICE = 3;
/** Probing stops after this many candidates; a cluster with more matching Services is unusual. */
const MAX_PROBED = 16;
const PROBE_CONCURRENCY = 4;
/** When RBAC refuses listing Services cluster-wide, look where monitoring stacks usually live. */
const FALLBACK_NAMESPACES = [
  'monitoring',
  'prometheus',
  'observability',
  'kube-prometheus-stack',
  'openshift-monitoring',
  'cattle-monitoring-system',
  'victoria-metrics',
  'mimir',
  'thanos',
  'kube-system',
];

/**
 * One instant query for what a store holds now, each count tagged by a `probe` label so `or` keeps them apart:
 * `up` (every scrape target), distinct `cluster` values on `up` (several mean a multi-cluster global view),
 * kube-state-metrics' `kube_pod_info` and cAdvisor's `container_cpu_usage_seconds_total`. Counting with the
 * default 5-minute lookback reads one recent sample per series, which is cheap even on a large Prometheus.
 */
const DATA_PROBE = [
  'label_replace(count(up), "probe", "targets", "", "")',
  'label_replace(count(count by (cluster) (up)), "probe", "clusters", "", "")',
  'label_replace(count(kube_pod_info), "probe", "kube-state-metrics", "", "")',
  'label_replace(count(container_cpu_usage_seconds_total), "probe", "cadvisor", "", "")',
].join(' or ');

export async function discoverPrometheus(context: SelectedContext, options: DiscoveryOptions = {}): Promise<DiscoveryReport> {
  const listed = await listServices(context, options);
  const { candidates, probeable } = candidatesOf(context, listed.services);
  await probeAll(context, probeable, options);
  const ranked = rank(candidates);
  const selected = ranked.find((candidate) => candidate.outcome === 'works') ?? null;
  const notes = [...listed.notes];
  if (listed.failure === null && candidates.length === 0) {
    notes.push(
      `None of the ${listed.services.length} Services carries the labels of kube-prometheus-stack, prometheus-operator, the Prometheus Helm chart, Thanos, Mimir or VictoriaMetrics.`,
    );
  }
  return {
    context: context.name,
    server: context.server,
    servicesSeen: listed.services.length,
    selected,
    candidates: ranked,
    notes,
    nextSteps: selected === null ? nextSteps(context, ranked) : [],
  };
}

interface Listed {
  services: V1Service[];
  notes: string[];
  /** Why nothing could be listed at all; null when something was. */
  failure: string | null;
}

async function listServices(context: SelectedContext, options: DiscoveryOptions): Promise<Listed> {
  const core = context.config.makeApiClient(CoreV1Api);
  const call = requestOptions(options.listTimeoutMs ?? 15_000, options.signal);
  const listAll = async (namespace: string | null): Promise<V1Service[]> => {
    const items: V1Service[] = [];
    let cont: string | undefined;
    do {
      const page =
        namespace === null
          ? await core.listServiceForAllNamespaces({ limit: 500, _continue: cont }, call)
          : await core.listNamespacedService({ namespace, limit: 500, _continue: cont }, call);
      items.push(...page.items);
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return items;
  };

  try {
    return { services: await listAll(null), notes: [], failure: null };
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 403) {
      const failure = listFailure(error, context, options);
      return { services: [], notes: [failure], failure };
    }
  }

  // Namespace-scoped RBAC is common: look where monitoring stacks usually live.
  const namespaces = [...new Set([...(context.namespace ? [context.namespace] : []), ...FALLBACK_NAMESPACES])];
  const services: V1Service[] = [];
  const refused: string[] = [];
  for (const namespace of namespaces) {
    try {
      services.push(...(await listAll(namespace)));
    } catch (error) {
      if (error instanceof ApiException && error.code === 403) refused.push(namespace);
      else {
        const failure = listFailure(error, context, options);
        return { services, notes: [failure], failure };
      }
    }
  }
  const searched = namespaces.filter((n) => !refused.includes(n));
  const notes = [
    `RBAC does not allow listing Services in all namespaces (403); looked in ${searched.length > 0 ? searched.join(', ') : 'no namespace'} instead${
      refused.length > 0 ? ` (listing was refused in ${refused.join(', ')})` : ''
    }. If Prometheus lives elsewhere, ask for list on services cluster-wide, or enter its URL directly.`,
  ];
  return { services, notes, failure: searched.length === 0 ? notes[0] ?? null : null };
}

function listFailure(error: unknown, context: SelectedContext, options: DiscoveryOptions): string {
  if (options.signal?.aborted) {
    throw new PrometheusError('cancelled', `Looking for Prometheus in context "${context.name}" was cancelled`);
  }
  if (error instanceof KubernetesError) return error.message;
  if (error instanceof ApiException && error.code === 401) {
    return `The API server of context "${context.name}" rejected its credentials (401) while listing Services; log in again (kubectl get pods shows whether they work).`;
  }
  if (error instanceof ApiException) {
    return `The API server of context "${context.name}" could not list Services (${error.code}); nothing could be probed.`;
  }
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const timedOut = error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
  return timedOut
    ? `The API server of context "${context.name}" at ${context.server} did not answer the Services list in time; check the connection and retry.`
    : `Could not list Services through context "${context.name}" at ${context.server} (${detail}); check the connection and retry.`;
}

/** A deadline (and the caller's cancellation) on every list request, added after client-node's own middleware. */
function requestOptions(timeoutMs: number, signal: AbortSignal | undefined): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          const deadline = AbortSignal.timeout(timeoutMs);
          request.setSignal(signal ? AbortSignal.any([signal, deadline]) : deadline);
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** Every port of every matching Service, and those of them worth a probe, likeliest port of a Service first. */
function candidatesOf(
  context: SelectedContext,
  services: V1Service[],
): { candidates: DiscoveryCandidate[]; probeable: DiscoveryCandidate[] } {
  const candidates: DiscoveryCandidate[] = [];
  const probeable: DiscoveryCandidate[] = [];
  for (const service of services) {
    const labels = service.metadata?.labels ?? {};
    const rule = SERVICE_RULES.find((r) => Object.entries(r.labels).every(([key, value]) => labels[key] === value));
    const namespace = service.metadata?.namespace;
    const name = service.metadata?.name;
    if (rule === undefined || namespace === undefined || name === undefined) continue;
    const matchedBy = Object.entries(rule.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const ports = [...(service.spec?.ports ?? [])].sort((a, b) => portRank(a.name, a.port) - portRank(b.name, b.port));
    let probed = 0;
    for (const port of ports) {
      const portName = port.name ?? null;
      const scheme = /^https/.test(portName ?? '') || port.appProtocol === 'https' ? 'https' : 'http';
      const target: KubeProxyTarget = {
        namespace,
        service: name,
        port: portName ?? port.port,
        scheme,
        pathPrefix: rule.pathPrefix ?? '',
      };
      const notApi = notTheApi(rule.kind, portName, port.port, port.protocol);
      const overLimit = notApi === null && probed >= MAX_PORTS_PER_SERVICE;
      const candidate: DiscoveryCandidate = {
        kind: rule.kind,
        namespace,
        service: name,
        port: port.port,
        portName,
        matchedBy,
        target,
        url: kubeProxyUrl(context.server, target),
        outcome: notApi !== null ? 'rejected' : 'not-tried',
        probed: false,
        reason: notApi ?? (overLimit ? `only the ${MAX_PORTS_PER_SERVICE} likeliest ports of a Service are probed` : 'not probed'),
        error: null,
        data: null,
      };
      candidates.push(candidate);
      if (notApi === null && !overLimit) {
        probed += 1;
        probeable.push(candidate);
      }
    }
  }
  return { candidates, probeable };
}

function portRank(name: string | undefined, port: number): number {
  const byName = name === undefined ? -1 : API_PORT_NAMES.indexOf(name);
  if (byName >= 0) return byName;
  const byNumber = API_PORT_NUMBERS.indexOf(port);
  return byNumber >= 0 ? 100 + byNumber : 1000;
}

/** Why a Service port is certainly not the query API, or null when it may be. */
function notTheApi(kind: StoreKind, name: string | null, port: number, protocol: string | undefined): string | null {
  const label = name === null ? `port ${port}` : `port ${port} (${name})`;
  if (protocol !== undefined && protocol !== 'TCP') return `${label} is ${protocol}, not HTTP`;
  if (name !== null && /reload/i.test(name)) return `${label} is the config-reloader, not Prometheus`;
  if ((name !== null && /grpc/i.test(name)) || port === 10901) return `${label} speaks gRPC (Thanos StoreAPI), not the HTTP API`;
  // Mimir serves its API on http-metrics; for the others that name is the component's own /metrics.
  if (kind !== 'mimir' && name !== null && /^(http-)?metrics$/.test(name)) return `${label} serves the component's own metrics, not the query API`;
  return null;
}

/** Probes the candidates that may be the API, a few at a time, the ports of one Service in order of likeliness. */
async function probeAll(context: SelectedContext, candidates: DiscoveryCandidate[], options: DiscoveryOptions): Promise<void> {
  const byService = new Map<string, DiscoveryCandidate[]>();
  let budget = MAX_PROBED;
  for (const candidate of candidates) {
    if (budget === 0) {
      candidate.outcome = 'not-tried';
      candidate.reason = `only ${MAX_PROBED} candidates are probed; connect to this one directly if it is the right one`;
      continue;
    }
    budget -= 1;
    const key = `${candidate.namespace}/${candidate.service}`;
    byService.set(key, [...(byService.get(key) ?? []), candidate]);
  }
  const groups = [...byService.values()];
  const worker = async (): Promise<void> => {
    for (let group = groups.shift(); group !== undefined; group = groups.shift()) {
      let answered: DiscoveryCandidate | null = null;
      for (const candidate of group) {
        if (answered !== null) {
          candidate.outcome = 'not-tried';
          candidate.reason = `port ${answered.portName ?? answered.port} of this Service already answers`;
          continue;
        }
        await probe(context, candidate, options);
        if (candidate.outcome === 'works') answered = candidate;
      }
    }
  };
  await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, worker));
}

async function probe(context: SelectedContext, candidate: DiscoveryCandidate, options: DiscoveryOptions): Promise<void> {
  const timeoutMs = options.probeTimeoutMs ?? 10_000;
  candidate.probed = true;
  let client: PrometheusClient;
  try {
    client = await createKubeProxyClient(context, candidate.target, {
      timeoutMs,
      retry: { retries: 0 },
      headers: options.headers ?? {},
    });
  } catch (error) {
    reject(candidate, error instanceof Error ? error.message : String(error), null);
    return;
  }
  try {
    const now = Date.now() / 1000;
    const one = await client.instant('vector(1)', now, options.signal);
    if (one.resultType !== 'vector' || one.data.length !== 1 || one.data[0]?.value !== 1) {
      reject(candidate, `answered /api/v1/query, but vector(1) did not come back as 1 (${one.resultType}): not a PromQL engine`, null);
      return;
    }
    const answer = await client.instant(DATA_PROBE, now, options.signal);
    const counts = new Map<string, number>();
    for (const sample of answer.data) counts.set(sample.labels.probe ?? '', sample.value ?? 0);
    const data: CandidateData = {
      targets: counts.get('targets') ?? 0,
      clusters: counts.get('clusters') ?? 0,
      kubeStateMetrics: (counts.get('kube-state-metrics') ?? 0) > 0,
      cadvisor: (counts.get('cadvisor') ?? 0) > 0,
    };
    candidate.data = data;
    if (data.targets === 0 && !data.kubeStateMetrics && !data.cadvisor) {
      reject(candidate, 'answers PromQL but holds no current data: up, kube_pod_info and container_cpu_usage_seconds_total are all empty', null);
      return;
    }
    candidate.outcome = 'works';
    candidate.reason = describeData(data);
  } catch (error) {
    if (error instanceof PrometheusError && error.kind === 'cancelled') throw error;
    if (error instanceof PrometheusError) reject(candidate, rejection(error, candidate, timeoutMs), error.message);
    else reject(candidate, error instanceof Error ? error.message : String(error), null);
  } finally {
    client.close();
  }
}

function reject(candidate: DiscoveryCandidate, reason: string, error: string | null): void {
  candidate.outcome = 'rejected';
  candidate.reason = reason;
  candidate.error = error;
}

function describeData(data: CandidateData): string {
  const present = [data.cadvisor ? 'cAdvisor' : null, data.kubeStateMetrics ? 'kube-state-metrics' : null].filter(
    (name): name is string => name !== null,
  );
  const missing = [data.cadvisor ? null : 'cAdvisor', data.kubeStateMetrics ? null : 'kube-state-metrics'].filter(
    (name): name is string => name !== null,
  );
  const parts = [`answers PromQL; ${data.targets} scrape targets`];
  if (present.length > 0) parts.push(`${present.join(' and ')} present`);
  if (missing.length > 0) parts.push(`no ${missing.join(' or ')} series, which Headroom's container analysis needs`);
  if (data.clusters > 1) parts.push(`holds ${data.clusters} clusters (by the cluster label), so queries must filter on one`);
  return parts.join('; ');
}

/** One sentence on why a probe failed, in terms of the service proxy. */
function rejection(error: PrometheusError, candidate: DiscoveryCandidate, timeoutMs: number): string {
  const said = error.detail === null ? '' : `: ${error.detail}`;
  const port = candidate.portName ?? String(candidate.port);
  switch (error.kind) {
    case 'forbidden':
      return error.kubernetes
        ? `403: RBAC does not allow get on services/proxy in namespace ${candidate.namespace}${said}`
        : `403 from the service itself: it wants its own credentials, which the service proxy cannot pass on; port-forward and connect directly with a token`;
    case 'unauthorized':
      return error.kubernetes
        ? `401: the API server rejected the kubeconfig's credentials${said}`
        : `401 from the service itself (an auth proxy in front of it?): the service proxy cannot pass Prometheus credentials; port-forward and connect directly with a token`;
    case 'not-found':
      return error.kubernetes
        ? `service proxy answered 404${said}`
        : `answered 404 at ${candidate.target.pathPrefix}/api/v1/query on port ${port}: not a Prometheus API at this path`;
    case 'server':
      return error.kubernetes ? `service proxy answered ${error.status ?? 'an error'}${said}` : `answered ${error.status ?? 'an error'}${said}`;
    case 'malformed-response':
      return 'answered but is not Prometheus JSON';
    case 'timeout':
      return error.limit === null
        ? `did not answer within ${timeoutMs / 1000} s`
        : `gave up on a tiny query${said}: the store is overloaded`;
    case 'bad-query':
      return `answered but refused vector(1)${said}: not a PromQL engine`;
    case 'too-large':
      return `answered but refused a tiny query as too large${said}`;
    case 'unreachable':
    case 'tls':
      return `could not reach the API server: ${error.message}`;
    case 'cancelled':
      return 'cancelled';
  }
}

/** Working candidates best first (see the module comment), then the rejected, then those not tried. */
function rank(candidates: DiscoveryCandidate[]): DiscoveryCandidate[] {
  const outcomeOrder: Record<CandidateOutcome, number> = { works: 0, rejected: 1, 'not-tried': 2 };
  const score = (candidate: DiscoveryCandidate): number[] => {
    const data = candidate.data;
    return [
      outcomeOrder[candidate.outcome],
      data === null ? 0 : -(Number(data.cadvisor) + Number(data.kubeStateMetrics)),
      candidate.kind === 'prometheus' ? 1 : 0,
      -(data?.targets ?? 0),
    ];
  };
  return candidates
    .map((candidate, index) => ({ candidate, index, score: score(candidate) }))
    .sort((a, b) => {
      for (let i = 0; i < a.score.length; i += 1) {
        const difference = (a.score[i] ?? 0) - (b.score[i] ?? 0);
        if (difference !== 0) return difference;
      }
      return a.index - b.index;
    })
    .map(({ candidate }) => candidate);
}

function nextSteps(context: SelectedContext, candidates: DiscoveryCandidate[]): string[] {
  const steps: string[] = [];
  const refusedProxy = [
    ...new Set(candidates.filter((c) => c.reason.startsWith('403: RBAC')).map((c) => c.namespace)),
  ];
  if (refusedProxy.length > 0) {
    steps.push(
      `Ask for get on services/proxy in namespace ${refusedProxy.join(', ')} for the user of context "${context.name}", then look again.`,
    );
  }
  const likeliest = candidates.find((c) => c.probed) ?? candidates[0];
  if (likeliest !== undefined) {
    const local = likeliest.port < 1024 ? 9090 : likeliest.port;
    steps.push(
      `Port-forward to it yourself: kubectl --context ${context.name} -n ${likeliest.namespace} port-forward svc/${likeliest.service} ${local}:${likeliest.port}, then connect to http://127.0.0.1:${local}${likeliest.target.pathPrefix} as a direct URL.`,
    );
  } else {
    steps.push(
      `If Prometheus runs in this cluster under other labels, port-forward to it (kubectl --context ${context.name} -n <namespace> port-forward svc/<service> 9090:<port>) and connect to http://127.0.0.1:9090 as a direct URL.`,
    );
  }
  steps.push(
    'If the metrics live outside this cluster (Grafana Cloud, Amazon Managed Prometheus, a central Thanos, Mimir or VictoriaMetrics), enter that URL directly, with its token and, for Mimir, X-Scope-OrgID.',
  );
  return steps;
}
