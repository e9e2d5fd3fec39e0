import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  ApiException,
  ApisApi,
  AppsV1Api,
  AutoscalingV2Api,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  Observable,
  PolicyV1Api,
  VersionApi,
  type ConfigurationOptions,
} from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { K8sEmulator, type WrittenKubeconfig } from './emulator';
import { FIXTURES, rawRequest, temporaryFolder } from './helpers';

const ALL_PODS = 21;

let emulator: K8sEmulator;
let folder: string;
let kubeconfig: WrittenKubeconfig;

function client(context?: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig.path);
  if (context) config.setCurrentContext(context);
  return config;
}

/** Per-call options that abort a request after `ms`, as Headroom's reader does. */
function deadline(ms: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request) => {
          request.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(request));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

async function apiError(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiException)) throw new Error(`expected an ApiException, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  emulator = await K8sEmulator.start({ folders: [FIXTURES] });
  folder = temporaryFolder('emulator');
  kubeconfig = emulator.writeKubeconfig(join(folder, 'config'));
});

afterAll(async () => {
  await emulator.close();
  rmSync(folder, { recursive: true, force: true });
});

afterEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

describe('loading', () => {
  it('loads every YAML file below the folder, unwraps Lists and skips kinds it does not serve', async () => {
    const other = await K8sEmulator.start();
    try {
      const summary = other.load(FIXTURES);
      expect(summary.loaded).toEqual({
        Namespace: 4,
        Node: 3,
        Deployment: 5,
        ReplicaSet: 6,
        StatefulSet: 2,
        DaemonSet: 1,
        Pod: ALL_PODS,
        HorizontalPodAutoscaler: 3,
        PodDisruptionBudget: 5,
        Service: 7,
      });
      expect(summary.skipped).toEqual({ ConfigMap: 1 });
    } finally {
      await other.close();
    }
  });

  it('refuses broken fixtures loudly, naming the file and line', async () => {
    const broken = temporaryFolder('broken-fixtures');
    const other = await K8sEmulator.start();
    try {
      writeFileSync(join(broken, 'a.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n---\nkind: [\n');
      expect(() => other.load(broken)).toThrow(/a\.yaml:\d+: invalid YAML/);
      writeFileSync(join(broken, 'a.yaml'), 'apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: x\n');
      expect(() => other.load(broken)).toThrow(/a\.yaml:1: the emulator serves HorizontalPodAutoscaler as autoscaling\/v2/);
    } finally {
      await other.close();
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('fills what the API server would: uids, owner uids, namespaces that every cluster has', async () => {
    const minimal = temporaryFolder('minimal-fixtures');
    const other = await K8sEmulator.start();
    try {
      writeFileSync(
        join(minimal, 'pods.yml'),
        [
          'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-1\n  namespace: shop\n  uid: rs-uid-1',
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1-a\n  namespace: shop\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-1, controller: true}',
        ].join('\n---\n'),
      );
      other.load(minimal);
      const pod = (await rawRequest(other, '/api/v1/namespaces/shop/pods/web-1-a', { token: other.token })).body as {
        metadata: { uid: string; resourceVersion: string; ownerReferences: Array<{ uid: string }> };
      };
      expect(pod.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(pod.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(pod.metadata.ownerReferences[0]?.uid).toBe('rs-uid-1');
      const namespaces = (await rawRequest(other, '/api/v1/namespaces', { token: other.token })).body as {
        items: Array<{ metadata: { name: string } }>;
      };
      expect(namespaces.items.map((n) => n.metadata.name)).toEqual([
        'default',
        'kube-node-lease',
        'kube-public',
        'kube-system',
        'shop',
      ]);
    } finally {
      await other.close();
      rmSync(minimal, { recursive: true, force: true });
    }
  });
});

describe('discovery', () => {
  it('serves /version, /api, /apis and the resource lists through the real client', async () => {
    const config = client();
    expect((await config.makeApiClient(VersionApi).getCode()).gitVersion).toBe('v1.31.4');
    expect((await config.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);

    const groups = await config.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => [g.name, g.preferredVersion?.groupVersion])).toEqual([
      ['apps', 'apps/v1'],
      ['autoscaling', 'autoscaling/v2'],
      ['policy', 'policy/v1'],
    ]);

    const core = await config.makeApiClient(CoreV1Api).getAPIResources();
    expect(core.groupVersion).toBe('v1');
    expect(core.resources.map((r) => [r.name, r.kind, r.namespaced])).toEqual([
      ['pods', 'Pod', true],
      ['nodes', 'Node', false],
      ['services', 'Service', true],
      ['namespaces', 'Namespace', false],
      ['services/proxy', 'ServiceProxyOptions', true],
    ]);
    const apps = await config.makeApiClient(AppsV1Api).getAPIResources();
    expect(apps.resources.map((r) => r.name)).toEqual(['deployments', 'statefulsets', 'daemonsets', 'replicasets']);
    const autoscaling = await config.makeApiClient(AutoscalingV2Api).getAPIResources();
    expect(autoscaling.resources.map((r) => [r.name, r.shortNames])).toEqual([['horizontalpodautoscalers', ['hpa']]]);
    const policy = await config.makeApiClient(PolicyV1Api).getAPIResources();
    expect(policy.resources.map((r) => r.kind)).toEqual(['PodDisruptionBudget']);
  });

  it('answers unknown groups and paths with a NotFound Status', async () => {
    for (const path of ['/apis/batch/v1', '/apis/batch', '/api/v2', '/api/v1/configmaps', '/api/v1/pods/x']) {
      const response = await rawRequest(emulator, path);
      expect(response.status, path).toBe(404);
      expect(response.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    }
  });
});

describe('lists and gets', () => {
  it('returns <Kind>List with a resourceVersion and items without kind/apiVersion, as the API server does', async () => {
    const response = await rawRequest(emulator, '/apis/apps/v1/deployments');
    const list = response.body as { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: object[] };
    expect(response.contentType).toBe('application/json');
    expect(list.kind).toBe('DeploymentList');
    expect(list.apiVersion).toBe('apps/v1');
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(list.metadata).not.toHaveProperty('continue');
    expect(list.items).toHaveLength(5);
    for (const item of list.items) {
      expect(item).not.toHaveProperty('kind');
      expect(item).not.toHaveProperty('apiVersion');
    }
    const single = (await rawRequest(emulator, '/apis/apps/v1/namespaces/catalog/deployments/catalog-api')).body;
    expect(single).toMatchObject({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'catalog-api' } });
  });

  it('lists every served resource cluster-wide and per namespace through the real client', async () => {
    const config = client();
    const core = config.makeApiClient(CoreV1Api);
    const apps = config.makeApiClient(AppsV1Api);
    const autoscaling = config.makeApiClient(AutoscalingV2Api);
    const policy = config.makeApiClient(PolicyV1Api);
    const names = (list: { items: Array<{ metadata?: { name?: string } }> }): Array<string | undefined> =>
      list.items.map((i) => i.metadata?.name);

    expect((await core.listPodForAllNamespaces()).items).toHaveLength(ALL_PODS);
    expect(names(await core.listNode())).toEqual([
      'ip-10-0-1-23.eu-west-1.compute.internal',
      'ip-10-0-2-41.eu-west-1.compute.internal',
      'ip-10-0-3-77.eu-west-1.compute.internal',
    ]);
    expect(names(await core.listNamespacedService({ namespace: 'monitoring' }))).toEqual([
      'kube-prometheus-stack-prometheus',
      'prometheus-operated',
      'thanos-query',
    ]);
    expect(names(await apps.listNamespacedDeployment({ namespace: 'streaming' }))).toEqual(['playback', 'search']);
    expect(names(await apps.listStatefulSetForAllNamespaces())).toEqual(['postgres', 'prometheus-kube-prometheus-stack-prometheus']);
    expect(names(await apps.listDaemonSetForAllNamespaces())).toEqual(['kube-prometheus-stack-prometheus-node-exporter']);
    expect(names(await apps.listNamespacedReplicaSet({ namespace: 'catalog' }))).toEqual([
      'catalog-api-6c4b9d7f88',
      'catalog-api-7d9f8b6c5d',
    ]);
    const hpas = await autoscaling.listHorizontalPodAutoscalerForAllNamespaces();
    expect(hpas.items.map((h) => [h.metadata?.name, h.spec?.metrics?.map((m) => m.type)])).toEqual([
      ['catalog-api', ['Resource']],
      ['playback', ['Pods']],
      ['search', ['Resource', 'ContainerResource', 'External', 'Object']],
    ]);
    expect(names(await policy.listNamespacedPodDisruptionBudget({ namespace: 'data' }))).toEqual(['pgbouncer', 'postgres']);
    expect(names(await core.listNamespacedPod({ namespace: 'no-such-namespace' }))).toEqual([]);

    const deployment = await apps.readNamespacedDeployment({ namespace: 'catalog', name: 'catalog-api' });
    expect(deployment.spec?.template.spec?.containers[0]?.resources?.requests).toEqual({ cpu: '500m', memory: '768Mi' });
    const node = await core.readNode({ name: 'ip-10-0-3-77.eu-west-1.compute.internal' });
    expect(node.spec?.unschedulable).toBe(true);
    expect((await core.readNamespace({ name: 'monitoring' })).status?.phase).toBe('Active');
  });

  it('pages with limit and an opaque continue token, counting the remaining items', async () => {
    const core = client().makeApiClient(CoreV1Api);
    const pages: Array<{ names: string[]; remaining: number | undefined }> = [];
    let token: string | undefined;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 5, _continue: token });
      pages.push({ names: page.items.map((p) => p.metadata?.name ?? ''), remaining: page.metadata?.remainingItemCount });
      token = page.metadata?._continue;
    } while (token);

    expect(pages.map((p) => p.names.length)).toEqual([5, 5, 5, 5, 1]);
    expect(pages.map((p) => p.remaining)).toEqual([16, 11, 6, 1, undefined]);
    const all = (await core.listPodForAllNamespaces()).items.map((p) => p.metadata?.name);
    expect(pages.flatMap((p) => p.names)).toEqual(all);
    // Ordered by namespace, then name, as etcd's keys are.
    expect(all.slice(0, 2)).toEqual(['catalog-api-7d9f8b6c5d-b9m4q', 'catalog-api-7d9f8b6c5d-r2t8w']);

    const requests = emulator.requests.filter((r) => r.path === '/api/v1/pods' && r.query.limit === '5');
    expect(requests).toHaveLength(5);
    expect(requests[0]?.query).not.toHaveProperty('continue');
    expect(requests.slice(1).every((r) => typeof r.query.continue === 'string')).toBe(true);
  });

  it('leaves remainingItemCount out when a selector is in play', async () => {
    const page = await client()
      .makeApiClient(CoreV1Api)
      .listPodForAllNamespaces({ limit: 2, labelSelector: 'app.kubernetes.io/name' });
    expect(page.items).toHaveLength(2);
    expect(page.metadata?._continue).toBeTruthy();
    expect(page.metadata?.remainingItemCount).toBeUndefined();
  });

  it('expires continue tokens when the objects change (410) and refuses tokens it never issued (400)', async () => {
    const core = client().makeApiClient(CoreV1Api);
    const first = await core.listPodForAllNamespaces({ limit: 3 });
    emulator.load(FIXTURES);
    const expired = await apiError(core.listPodForAllNamespaces({ limit: 3, _continue: first.metadata?._continue }));
    expect(expired.code).toBe(410);
    expect(JSON.parse(String(expired.body))).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    const bogus = await apiError(core.listPodForAllNamespaces({ limit: 3, _continue: 'not-a-token' }));
    expect(bogus.code).toBe(400);
    expect(JSON.parse(String(bogus.body))).toMatchObject({ reason: 'BadRequest', message: 'continue key is not valid: not-a-token' });
  });
});

describe('selectors', () => {
  const cases: Array<{ labelSelector?: string; fieldSelector?: string; pods: number; first?: string }> = [
    { labelSelector: 'app.kubernetes.io/name=playback', pods: 4 },
    { labelSelector: 'app.kubernetes.io/name==playback', pods: 4 },
    { labelSelector: 'app.kubernetes.io/name=playback,tier=web', pods: 4 },
    { labelSelector: 'app.kubernetes.io/name=playback,tier!=web', pods: 0 },
    // `!=` is satisfied by pods without the label at all (postgres, node-exporter, debug-shell…).
    { labelSelector: 'tier!=web', pods: 12 },
    { labelSelector: 'app.kubernetes.io/name in (search, pgbouncer)', pods: 4 },
    { labelSelector: 'app.kubernetes.io/name notin (search,pgbouncer,playback,catalog-api)', pods: 10 },
    { labelSelector: 'tier', pods: 9 },
    { labelSelector: '!tier', pods: 12 },
    { labelSelector: 'statefulset.kubernetes.io/pod-name,app.kubernetes.io/name in (postgres)', pods: 3, first: 'postgres-0' },
    { fieldSelector: 'metadata.namespace=data', pods: 5 },
    { fieldSelector: 'metadata.name=postgres-1', pods: 1, first: 'postgres-1' },
    { fieldSelector: 'metadata.namespace!=monitoring,metadata.namespace!=streaming', pods: 10 },
    { labelSelector: 'app.kubernetes.io/name=postgres', fieldSelector: 'metadata.name!=postgres-0', pods: 2, first: 'postgres-1' },
  ];
  it.each(cases)('labelSelector $labelSelector fieldSelector $fieldSelector selects $pods pods', async (c) => {
    const list = await client()
      .makeApiClient(CoreV1Api)
      .listPodForAllNamespaces({ labelSelector: c.labelSelector, fieldSelector: c.fieldSelector });
    expect(list.items).toHaveLength(c.pods);
    if (c.first) expect(list.items[0]?.metadata?.name).toBe(c.first);
  });

  it.each([
    { labelSelector: 'app in ()' },
    { labelSelector: 'a=b,,c=d' },
    { labelSelector: 'a b' },
    { fieldSelector: 'spec.nodeName=x' },
    { fieldSelector: 'metadata.name' },
  ])('refuses $labelSelector$fieldSelector with a BadRequest Status', async (query) => {
    const error = await apiError(client().makeApiClient(CoreV1Api).listPodForAllNamespaces(query));
    expect(error.code).toBe(400);
    expect(JSON.parse(String(error.body))).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });
});

describe('authentication', () => {
  it('accepts the token user, the exec-plugin user and the client-certificate user of its kubeconfig', async () => {
    for (const context of Object.values(kubeconfig.contexts)) {
      const list = await client(context).makeApiClient(AppsV1Api).listDeploymentForAllNamespaces();
      expect(list.items, context).toHaveLength(5);
    }
    expect(emulator.requests.map((r) => [r.user, r.headers.authorization])).toEqual([
      ['headroom-reader', `Bearer ${emulator.token}`],
      ['headroom-exec', `Bearer ${emulator.execToken}`],
      ['headroom-cert-user', undefined],
    ]);
  });

  it('writes certificate paths relative to the kubeconfig, which client-node resolves against its folder', () => {
    const written = parse(readFileSync(kubeconfig.path, 'utf8')) as {
      clusters: Array<{ cluster: Record<string, string> }>;
      users: Array<{ name: string; user: Record<string, unknown> }>;
    };
    expect(written.clusters[0]?.cluster['certificate-authority']).toBe('emulator-ca.crt');
    expect(written.users.find((u) => u.name === 'emulator-cert')?.user['client-key']).toBe('emulator-client.key');
    expect(client().getCurrentCluster()?.caFile).toBe(join(folder, 'emulator-ca.crt'));
  });

  it('answers 401 with an Unauthorized Status without credentials or with a wrong token', async () => {
    for (const token of [null, 'not-a-valid-token']) {
      const response = await rawRequest(emulator, '/api/v1/pods', { token });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    // /version is public, as system:public-info-viewer makes it.
    expect((await rawRequest(emulator, '/version', { token: null })).status).toBe(200);

    const wrong = emulator.writeKubeconfig(join(folder, 'wrong-token'), { name: 'wrong', token: 'expired-token' });
    const config = new KubeConfig();
    config.loadFromFile(wrong.path);
    const error = await apiError(config.makeApiClient(CoreV1Api).listPodForAllNamespaces());
    // client-node's generated code drops the body of a 401; the status code is what it reports.
    expect(error.code).toBe(401);
  });

  it('serves requests without credentials when anonymous access is on', async () => {
    const open = await K8sEmulator.start({ folders: [FIXTURES], anonymous: true });
    try {
      const response = await rawRequest(open, '/apis/apps/v1/deployments', { token: null });
      expect(response.status).toBe(200);
      expect(open.requests[0]?.user).toBeNull();
    } finally {
      await open.close();
    }
  });
});

describe('injected failures', () => {
  it('answers 403 for one path with the API server\'s wording, and leaves other paths alone', async () => {
    emulator.failWith(403, { path: '/api/v1/pods' });
    const core = client().makeApiClient(CoreV1Api);
    const error = await apiError(core.listPodForAllNamespaces());
    expect(error.code).toBe(403);
    expect(JSON.parse(String(error.body))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "headroom-reader" cannot list resource "pods" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { group: '', kind: 'pods' },
      code: 403,
    });
    expect((await core.listNode()).items).toHaveLength(3);
  });

  it('words a namespaced 403 with its namespace and a 404 get with the resource and name', async () => {
    emulator.failWith(403, { path: /\/namespaces\/data\/deployments$/ });
    const apps = client().makeApiClient(AppsV1Api);
    const forbidden = await apiError(apps.listNamespacedDeployment({ namespace: 'data' }));
    expect(JSON.parse(String(forbidden.body)).message).toBe(
      'deployments.apps is forbidden: User "headroom-reader" cannot list resource "deployments" in API group "apps" in the namespace "data"',
    );
    const missing = await apiError(apps.readNamespacedDeployment({ namespace: 'catalog', name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(JSON.parse(String(missing.body))).toMatchObject({
      reason: 'NotFound',
      message: 'deployments.apps "nope" not found',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
    });
  });

  it('fails globally with 401 or 500, a given number of times', async () => {
    const core = client().makeApiClient(CoreV1Api);
    emulator.failWith(500, { times: 2 });
    expect((await apiError(core.listNode())).code).toBe(500);
    const second = await apiError(core.listNode());
    expect(JSON.parse(String(second.body))).toMatchObject({ reason: 'InternalError', code: 500 });
    expect((await core.listNode()).items).toHaveLength(3);

    emulator.failWith(401);
    expect((await apiError(core.listNode())).code).toBe(401);
    expect((await apiError(client().makeApiClient(AppsV1Api).listDeploymentForAllNamespaces())).code).toBe(401);
  });

  it('hangs for a while, then answers', async () => {
    emulator.hang({ path: '/api/v1/nodes', ms: 300 });
    const started = performance.now();
    const nodes = await client().makeApiClient(CoreV1Api).listNode();
    expect(nodes.items).toHaveLength(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('hangs forever, which a client with a deadline observes as a timeout', async () => {
    emulator.hang({ path: '/apis/apps' });
    const started = performance.now();
    const error = await client()
      .makeApiClient(AppsV1Api)
      .listDeploymentForAllNamespaces({}, deadline(250))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(emulator.requests.at(-1)).toMatchObject({ path: '/apis/apps/v1/deployments', status: null });
  });
});

describe('request log', () => {
  it('records method, path, query and user of every read', async () => {
    const core = client().makeApiClient(CoreV1Api);
    await core.listNamespacedPod({ namespace: 'data', labelSelector: 'app.kubernetes.io/name=postgres', limit: 2 });
    const [entry] = emulator.requests;
    expect(entry).toMatchObject({
      seq: 1,
      method: 'GET',
      path: '/api/v1/namespaces/data/pods',
      query: { labelSelector: 'app.kubernetes.io/name=postgres', limit: '2' },
      kind: 'api',
      user: 'headroom-reader',
      status: 200,
    });
    expect(emulator.writeRequests()).toEqual([]);
  });

  it('records and refuses anything that would write', async () => {
    const core = client().makeApiClient(CoreV1Api);
    const error = await apiError(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'x' }, data: { a: 'b' } } }),
    );
    expect(error.code).toBe(405);
    await rawRequest(emulator, '/apis/apps/v1/namespaces/catalog/deployments/catalog-api', { method: 'DELETE' });
    expect(emulator.writeRequests().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/namespaces/default/configmaps',
      'DELETE /apis/apps/v1/namespaces/catalog/deployments/catalog-api',
    ]);
  });
});

describe('service proxy', () => {
  let upstream: Server;
  const seen: Array<{ method: string; url: string; body: string; authorization: string | undefined }> = [];

  beforeAll(async () => {
    upstream = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
          authorization: req.headers.authorization,
        });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstream.unref();
  });

  afterAll(() => {
    upstream.close();
  });

  const prometheusPath = '/api/v1/namespaces/monitoring/services/http:kube-prometheus-stack-prometheus:http-web/proxy';

  it('forwards GET and POST to the upstream and records the proxied POST distinctly', async () => {
    emulator.setServiceUpstream(
      'monitoring',
      'kube-prometheus-stack-prometheus',
      `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`,
    );
    const get = await rawRequest(emulator, `${prometheusPath}/api/v1/query?query=up`);
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ status: 'success' });
    const post = await rawRequest(emulator, `${prometheusPath}/api/v1/query`, {
      method: 'POST',
      body: 'query=sum(rate(http_requests_total[5m]))',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(post.status).toBe(200);

    expect(seen.slice(-2)).toEqual([
      { method: 'GET', url: '/api/v1/query?query=up', body: '', authorization: undefined },
      { method: 'POST', url: '/api/v1/query', body: 'query=sum(rate(http_requests_total[5m]))', authorization: undefined },
    ]);
    expect(emulator.requests.map((r) => [r.kind, r.method, r.body])).toEqual([
      ['proxy', 'GET', ''],
      ['proxy', 'POST', 'query=sum(rate(http_requests_total[5m]))'],
    ]);
    // A PromQL POST through the proxy is not a write to the cluster.
    expect(emulator.writeRequests()).toEqual([]);
  });

  it('answers like the API server when the service, its port or its endpoints are missing', async () => {
    const missing = await rawRequest(emulator, '/api/v1/namespaces/monitoring/services/nope:9090/proxy/api/v1/query');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'services "nope" not found' });
    const noEndpoints = await rawRequest(emulator, '/api/v1/namespaces/monitoring/services/thanos-query:9090/proxy/api/v1/query');
    expect(noEndpoints.status).toBe(503);
    expect(noEndpoints.body).toMatchObject({ reason: 'ServiceUnavailable', message: 'no endpoints available for service "thanos-query"' });
    const wrongPort = await rawRequest(
      emulator,
      '/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:9999/proxy/api/v1/query',
    );
    expect(wrongPort.status).toBe(503);
  });
});

describe('lifecycle', () => {
  it('stops on close(), releasing hanging requests and refusing new ones', async () => {
    const other = await K8sEmulator.start({ folders: [FIXTURES] });
    other.hang();
    const hanging = rawRequest(other, '/api/v1/pods', { token: other.token }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await other.close();
    expect(await hanging).toBeInstanceOf(Error);
    await expect(rawRequest(other, '/version')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('binds to 127.0.0.1 only', () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('kubeconfig', () => {
  it('names its contexts after the given prefix and can place them in a namespace', () => {
    const sub = join(folder, 'named');
    mkdirSync(sub);
    const written = emulator.writeKubeconfig(join(sub, 'config'), { name: 'prod', namespace: 'catalog' });
    expect(written.contexts).toEqual({ token: 'prod', exec: 'prod-exec', cert: 'prod-cert' });
    const config = new KubeConfig();
    config.loadFromFile(written.path);
    expect(config.getCurrentContext()).toBe('prod');
    expect(config.getContexts().map((c) => [c.name, c.namespace])).toEqual([
      ['prod', 'catalog'],
      ['prod-exec', 'catalog'],
      ['prod-cert', 'catalog'],
    ]);
  });
});
