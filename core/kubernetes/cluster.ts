/**
 * `ClusterReader` over a live API server, through `@kubernetes/client-node`. It only ever issues GETs: list
 * calls (paged with `limit`/`continue`, as kubectl pages) and `/version`. Headroom proposes; it never applies.
 *
 * Failures are sorted by what they mean for the analysis:
 * - the credentials are refused, the server cannot be reached, answers too slowly or presents a certificate
 *   the kubeconfig does not trust: nothing can be read, so `readSnapshot` throws a `KubernetesError`;
 * - one resource is refused by RBAC, not served (an old cluster) or fails on the server: that resource lands
 *   in `unreadable` with a warning, and the snapshot carries everything else.
 */
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  Observable,
  PolicyV1Api,
  VersionApi,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { KubernetesError } from './errors';
import type { SelectedContext } from './kubeconfig';
import type { ClusterReader, FleetSnapshot, KubeResource, ReadOptions } from './model';
import { buildSnapshot, type KubeObjects } from './snapshot';

export interface ClusterReaderOptions {
  /** Items per list page; kubectl's default is 500. */
  pageSize?: number;
  /** How long one request may take before the server counts as unreachable. */
  requestTimeoutMs?: number;
}

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Error codes node reports when TLS verification fails; they mean "wrong CA", not "server down". */
const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

interface ResourceSpec<T> {
  resource: KubeResource;
  group: string;
  apiVersion: string;
  namespaced: boolean;
  /** Lists one page; items come back as client-node model objects. */
  list: (namespace: string | null, limit: number, cont: string | undefined) => Promise<Page<unknown>>;
  /** Turns one client-node object into the API's JSON shape. */
  toItem: (item: unknown) => T;
}

type ListOutcome<T> = { ok: true; items: T[] } | { ok: false; resource: KubeResource; warning: string };

export function createClusterReader(context: SelectedContext, options: ClusterReaderOptions = {}): ClusterReader {
  const location = `context ${context.name} (${context.server})`;
  return {
    location,
    readSnapshot: (read: ReadOptions = {}) => readCluster(context, location, options, read.namespace ?? null),
  };
}

async function readCluster(
  context: SelectedContext,
  location: string,
  options: ClusterReaderOptions,
  namespace: string | null,
): Promise<FleetSnapshot> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const fail = (error: unknown): never => {
    throw fatalError(error, context, timeoutMs);
  };
  await prepareCredentials(context);

  const { config } = context;
  const call = requestOptions(timeoutMs);
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const autoscaling = config.makeApiClient(AutoscalingV2Api);
  const policy = config.makeApiClient(PolicyV1Api);
  const version = await config.makeApiClient(VersionApi).getCode(call).catch(fail);

  // One spec per resource: which call lists it cluster-wide and per namespace, and the type its items have.
  const specs = {
    deployments: spec<IDeployment>('deployments', 'apps', 'apps/v1', 'Deployment', true, (ns, limit, cont) =>
      ns === null
        ? apps.listDeploymentForAllNamespaces({ limit, _continue: cont }, call)
        : apps.listNamespacedDeployment({ namespace: ns, limit, _continue: cont }, call),
    ),
    statefulSets: spec<IStatefulSet>('statefulsets', 'apps', 'apps/v1', 'StatefulSet', true, (ns, limit, cont) =>
      ns === null
        ? apps.listStatefulSetForAllNamespaces({ limit, _continue: cont }, call)
        : apps.listNamespacedStatefulSet({ namespace: ns, limit, _continue: cont }, call),
    ),
    daemonSets: spec<IDaemonSet>('daemonsets', 'apps', 'apps/v1', 'DaemonSet', true, (ns, limit, cont) =>
      ns === null
        ? apps.listDaemonSetForAllNamespaces({ limit, _continue: cont }, call)
        : apps.listNamespacedDaemonSet({ namespace: ns, limit, _continue: cont }, call),
    ),
    replicaSets: spec<IReplicaSet>('replicasets', 'apps', 'apps/v1', 'ReplicaSet', true, (ns, limit, cont) =>
      ns === null
        ? apps.listReplicaSetForAllNamespaces({ limit, _continue: cont }, call)
        : apps.listNamespacedReplicaSet({ namespace: ns, limit, _continue: cont }, call),
    ),
    hpas: spec<IHorizontalPodAutoscaler>(
      'horizontalpodautoscalers',
      'autoscaling',
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      true,
      (ns, limit, cont) =>
        ns === null
          ? autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ limit, _continue: cont }, call)
          : autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns, limit, _continue: cont }, call),
    ),
    pdbs: spec<IPodDisruptionBudget>(
      'poddisruptionbudgets',
      'policy',
      'policy/v1',
      'PodDisruptionBudget',
      true,
      (ns, limit, cont) =>
        ns === null
          ? policy.listPodDisruptionBudgetForAllNamespaces({ limit, _continue: cont }, call)
          : policy.listNamespacedPodDisruptionBudget({ namespace: ns, limit, _continue: cont }, call),
    ),
    pods: spec<IPod>('pods', '', 'v1', 'Pod', true, (ns, limit, cont) =>
      ns === null
        ? core.listPodForAllNamespaces({ limit, _continue: cont }, call)
        : core.listNamespacedPod({ namespace: ns, limit, _continue: cont }, call),
    ),
    nodes: spec<INode>('nodes', '', 'v1', 'Node', false, (_ns, limit, cont) =>
      core.listNode({ limit, _continue: cont }, call),
    ),
    services: spec<IService>('services', '', 'v1', 'Service', true, (ns, limit, cont) =>
      ns === null
        ? core.listServiceForAllNamespaces({ limit, _continue: cont }, call)
        : core.listNamespacedService({ namespace: ns, limit, _continue: cont }, call),
    ),
  };

  const read = <T>(s: ResourceSpec<T>): Promise<ListOutcome<T>> =>
    listAll(s, namespace, pageSize).catch((error: unknown) => resourceFailure(error, s, context, namespace, fail));
  const [deployments, statefulSets, daemonSets, replicaSets, hpas, pdbs, pods, nodes, services] = await Promise.all([
    read(specs.deployments),
    read(specs.statefulSets),
    read(specs.daemonSets),
    read(specs.replicaSets),
    read(specs.hpas),
    read(specs.pdbs),
    read(specs.pods),
    read(specs.nodes),
    read(specs.services),
  ]);

  const unreadable: KubeResource[] = [];
  const warnings: string[] = [];
  const itemsOf = <T>(outcome: ListOutcome<T>): T[] => {
    if (outcome.ok) return outcome.items;
    unreadable.push(outcome.resource);
    warnings.push(outcome.warning);
    return [];
  };
  const objects: KubeObjects = {
    deployments: itemsOf(deployments),
    statefulSets: itemsOf(statefulSets),
    daemonSets: itemsOf(daemonSets),
    replicaSets: itemsOf(replicaSets),
    hpas: itemsOf(hpas),
    pdbs: itemsOf(pdbs),
    pods: itemsOf(pods),
    nodes: itemsOf(nodes),
    services: itemsOf(services),
  };
  return buildSnapshot({
    source: 'cluster',
    location,
    namespace,
    serverVersion: version.gitVersion,
    objects,
    origins: new Map(),
    unreadable,
    warnings,
  });
}

function spec<T>(
  resource: KubeResource,
  group: string,
  apiVersion: string,
  kind: string,
  namespaced: boolean,
  list: (namespace: string | null, limit: number, cont: string | undefined) => Promise<Page<unknown>>,
): ResourceSpec<T> {
  return { resource, group, apiVersion, namespaced, list, toItem: (item) => toWireShape<T>(item, apiVersion, kind) };
}

async function listAll<T>(spec: ResourceSpec<T>, namespace: string | null, pageSize: number): Promise<ListOutcome<T>> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await spec.list(spec.namespaced ? namespace : null, pageSize, cont);
    items.push(...page.items.map(spec.toItem));
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return { ok: true, items };
}

/**
 * client-node hands back its model classes; the snapshot reads the API's JSON shape (kubernetes-models'
 * types). For the kinds read here the two differ only in timestamps (Date objects against strings), which a
 * JSON round trip turns back. List items carry no kind or apiVersion on the wire, so they are put back.
 */
function toWireShape<T>(item: unknown, apiVersion: string, kind: string): T {
  return { ...JSON.parse(JSON.stringify(item)), apiVersion, kind } as T;
}

/** Per-call options: a deadline on every request, added after client-node's own middleware. */
function requestOptions(timeoutMs: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/**
 * Runs the user's credential plugin (or reads its certificate files) once before any request, so that a
 * failing `aws`/`gcloud`/`kubelogin` is reported as such instead of as an odd network error. client-node
 * caches the credential until its `expirationTimestamp`, so the requests that follow reuse it.
 */
async function prepareCredentials(context: SelectedContext): Promise<void> {
  try {
    await context.config.applyToHTTPSOptions({});
  } catch (error) {
    const exec = context.config.getCurrentUser()?.exec as { command?: string } | undefined;
    const code = (error as NodeJS.ErrnoException).code;
    const detail = error instanceof Error ? error.message.trim().split('\n').slice(0, 3).join(' ') : String(error);
    if (exec?.command && code === 'ENOENT') {
      throw new KubernetesError(
        'credentials-failed',
        `The credential plugin "${exec.command}" of user "${context.user}" was not found: install it, or make it reachable on the PATH Headroom runs with (a desktop app may not see your shell's PATH).`,
      );
    }
    throw new KubernetesError(
      'credentials-failed',
      exec?.command
        ? `The credential plugin "${exec.command}" of user "${context.user}" failed: ${detail}. Run it in a terminal to log in again (for example aws sso login or gcloud auth login), then retry.`
        : `The credentials of user "${context.user}" in context "${context.name}" could not be prepared: ${detail}. Fix the user in the kubeconfig.`,
    );
  }
}

/** Errors that stop the whole read: nothing else would succeed either. */
function fatalError(error: unknown, context: SelectedContext, timeoutMs: number): KubernetesError {
  const alone = 'the analysis continues from metrics alone';
  if (error instanceof ApiException && error.code === 401) {
    return new KubernetesError(
      'unauthorized',
      `The API server rejected the credentials of context "${context.name}" (401 Unauthorized): refresh your login or token (for example by running your cloud's login command, or kubectl get pods once), then retry.`,
    );
  }
  const name = error instanceof Error ? error.name : '';
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (name === 'AbortError') {
    return new KubernetesError(
      'timeout',
      `The API server of context "${context.name}" at ${context.server} did not answer within ${timeoutMs / 1000} s; ${alone}.`,
    );
  }
  if (TLS_ERROR_CODES.has(code)) {
    return new KubernetesError(
      'tls',
      `The API server at ${context.server} presented a certificate that context "${context.name}" does not trust (${code}): check certificate-authority in the kubeconfig; ${alone}.`,
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new KubernetesError(
    'unreachable',
    `Could not reach the API server of context "${context.name}" at ${context.server} (${code || detail}); ${alone}.`,
  );
}

/** A failed list: per-resource trouble becomes a warning, anything else stops the read. */
function resourceFailure<T>(
  error: unknown,
  spec: ResourceSpec<T>,
  context: SelectedContext,
  namespace: string | null,
  fail: (error: unknown) => never,
): ListOutcome<T> {
  if (!(error instanceof ApiException) || error.code === 401) return fail(error);
  const groupName = spec.group === '' ? 'the core API group' : `API group "${spec.group}"`;
  const scope = namespace !== null && spec.namespaced ? `in namespace "${namespace}"` : 'cluster-wide';
  const without = `the analysis continues without ${spec.resource}`;
  const said = statusMessage(error.body);
  switch (error.code) {
    case 403:
      return {
        ok: false,
        resource: spec.resource,
        warning: `RBAC refused to let context "${context.name}" list ${spec.resource} ${scope} (403 Forbidden${said}): Headroom needs get and list on ${spec.resource} in ${groupName}; ${without}.`,
      };
    case 404:
      return {
        ok: false,
        resource: spec.resource,
        warning: `The API server does not serve ${spec.apiVersion} ${spec.resource} (404): the cluster may be too old for it; ${without}.`,
      };
    default:
      return {
        ok: false,
        resource: spec.resource,
        warning: `The API server failed to list ${spec.resource} (${error.code}${said}); ${without}.`,
      };
  }
}

/** The `message` of a Kubernetes Status body, as ": <message>", or nothing. */
function statusMessage(body: unknown): string {
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    const message = (status as { message?: unknown } | null)?.message;
    return typeof message === 'string' && message !== '' ? `: ${message}` : '';
  } catch {
    return '';
  }
}
