import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClusterReader, type ClusterReaderOptions } from '../../../core/kubernetes/cluster';
import { KubernetesError } from '../../../core/kubernetes/errors';
import { loadKubeconfig, selectContext } from '../../../core/kubernetes/kubeconfig';
import { readManifestFolder } from '../../../core/kubernetes/manifests';
import type { ClusterReader, FleetSnapshot } from '../../../core/kubernetes/model';
import { K8sEmulator } from '../../k8s-emulator/emulator';
import { FIXTURES, temporaryFolder } from '../../k8s-emulator/helpers';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

let emulator: K8sEmulator;
let folder: string;
let kubeconfigFile: string;

function reader(options: ClusterReaderOptions = {}, context?: string, file = kubeconfigFile): ClusterReader {
  return createClusterReader(selectContext(loadKubeconfig({ file }), context), options);
}

async function rejected(promise: Promise<unknown>): Promise<KubernetesError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof KubernetesError) return error;
  throw new Error(`expected a KubernetesError, got ${String(error)}`);
}

beforeAll(async () => {
  emulator = await K8sEmulator.start({ folders: [FIXTURES] });
  folder = temporaryFolder('cluster-reader');
  kubeconfigFile = emulator.writeKubeconfig(join(folder, 'config')).path;
});

afterAll(async () => {
  await emulator.close();
  rmSync(folder, { recursive: true, force: true });
});

afterEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

describe('a full read', () => {
  let snapshot: FleetSnapshot;
  beforeAll(async () => {
    snapshot = await reader().readSnapshot();
  });

  it('describes where it came from and is complete', () => {
    expect(snapshot.source).toBe('cluster');
    expect(snapshot.location).toBe(`context emulator (${emulator.url})`);
    expect(snapshot.namespace).toBeNull();
    expect(snapshot.serverVersion).toBe('v1.31.4');
    expect(snapshot.unreadable).toEqual([]);
    expect(snapshot.warnings).toEqual([]);
  });

  it('finds every workload with replicas and the HPAs, PDBs and Services that cover it', () => {
    expect(
      snapshot.workloads.map((w) => [w.kind, w.namespace, w.name, w.replicas, w.readyReplicas, w.hpas, w.pdbs, w.services]),
    ).toEqual([
      ['Deployment', 'catalog', 'catalog-api', 3, 3, ['catalog-api'], ['catalog-api'], ['catalog-api']],
      ['Deployment', 'data', 'pgbouncer', 2, 2, [], ['pgbouncer'], ['pgbouncer']],
      ['StatefulSet', 'data', 'postgres', 3, 3, [], ['postgres'], ['postgres']],
      ['DaemonSet', 'monitoring', 'kube-prometheus-stack-prometheus-node-exporter', null, 3, [], [], []],
      [
        'StatefulSet',
        'monitoring',
        'prometheus-kube-prometheus-stack-prometheus',
        1,
        1,
        [],
        [],
        ['kube-prometheus-stack-prometheus', 'prometheus-operated'],
      ],
      ['Deployment', 'monitoring', 'thanos-query', 1, 1, [], [], ['thanos-query']],
      // playback-v1's selector names the old release: it does not protect playback.
      ['Deployment', 'streaming', 'playback', 4, 3, ['playback'], [], ['playback']],
      ['Deployment', 'streaming', 'search', 2, 2, ['search'], ['search'], []],
    ]);
  });

  it('reads selectors, template labels, uids and container resources in cores and bytes', () => {
    const catalog = snapshot.workloads.find((w) => w.name === 'catalog-api');
    expect(catalog).toMatchObject({
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      labels: { 'app.kubernetes.io/name': 'catalog-api', 'app.kubernetes.io/part-of': 'musiccorp' },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'catalog-api' }, matchExpressions: [] },
      podTemplateLabels: { 'app.kubernetes.io/name': 'catalog-api', 'app.kubernetes.io/part-of': 'musiccorp', tier: 'web' },
      origin: null,
    });
    expect(catalog?.containers).toEqual([
      {
        name: 'app',
        image: 'registry.musiccorp.example/catalog-api:2.14.1',
        requests: { cpu: 0.5, memory: 768 * Mi },
        limits: { cpu: 1, memory: 1 * Gi },
        sidecar: false,
      },
    ]);
    // The native sidecar runs beside the app and counts; the one-shot init container does not.
    expect(snapshot.workloads.find((w) => w.name === 'playback')?.containers).toEqual([
      { name: 'app', image: 'registry.musiccorp.example/playback:5.2.0', requests: { cpu: 1, memory: Gi }, limits: { cpu: null, memory: Gi }, sidecar: false },
      { name: 'envoy', image: 'envoyproxy/envoy:v1.32.2', requests: { cpu: 0.1, memory: 128 * Mi }, limits: { cpu: null, memory: 256 * Mi }, sidecar: true },
    ]);
    expect(snapshot.workloads.find((w) => w.kind === 'DaemonSet')?.containers[0]).toMatchObject({
      requests: { cpu: null, memory: null },
      limits: { cpu: null, memory: null },
    });
  });

  it('normalises HPA targets, metrics of every type and behavior', () => {
    const [catalog, playback, search] = snapshot.hpas;
    expect(catalog).toEqual({
      namespace: 'catalog',
      name: 'catalog-api',
      uid: expect.any(String),
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'catalog-api' },
      minReplicas: 3,
      maxReplicas: 12,
      metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.7 } }],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', ratio: 1, periodSeconds: 15 },
            { type: 'Pods', pods: 4, periodSeconds: 15 },
          ],
        },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', ratio: 0.1, periodSeconds: 60 }] },
      },
      currentReplicas: 3,
      desiredReplicas: 3,
      apiVersion: 'autoscaling/v2',
      origin: null,
    });
    expect(playback?.metrics).toEqual([
      { type: 'Pods', metricName: 'http_requests_per_second', selector: null, target: { type: 'AverageValue', averageValue: 50, raw: '50' } },
    ]);
    expect(playback?.minReplicas).toBe(2);
    expect(search?.metrics).toEqual([
      { type: 'Resource', resource: 'memory', target: { type: 'AverageValue', averageValue: 2560 * Mi, raw: '2560Mi' } },
      { type: 'ContainerResource', resource: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 1.5 } },
      {
        type: 'External',
        metricName: 'kafka_consumergroup_lag',
        selector: { matchLabels: { consumergroup: 'search-indexer' }, matchExpressions: [] },
        target: { type: 'AverageValue', averageValue: 1000, raw: '1k' },
      },
      {
        type: 'Object',
        metricName: 'requests_per_second',
        selector: null,
        describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'search' },
        target: { type: 'Value', value: 2000, raw: '2k' },
      },
    ]);
    expect(search?.behavior).toEqual({
      scaleUp: null,
      scaleDown: { stabilizationWindowSeconds: 600, selectPolicy: null, policies: [{ type: 'Pods', pods: 1, periodSeconds: 120 }] },
    });
  });

  it('reads PDB bounds as counts or ratios, and their status', () => {
    expect(snapshot.pdbs.map((p) => [p.namespace, p.name, p.minAvailable, p.maxUnavailable, p.disruptionsAllowed, p.expectedPods])).toEqual([
      ['catalog', 'catalog-api', { type: 'count', value: 2 }, null, 1, 3],
      ['data', 'pgbouncer', { type: 'ratio', value: 0.5 }, null, 1, 2],
      ['data', 'postgres', null, { type: 'count', value: 1 }, 1, 3],
      ['streaming', 'playback-v1', null, { type: 'count', value: 1 }, 0, 0],
      ['streaming', 'search', null, { type: 'ratio', value: 0.5 }, 1, 2],
    ]);
    expect(snapshot.pdbs.find((p) => p.name === 'search')?.selector).toEqual({
      matchLabels: {},
      matchExpressions: [
        { key: 'app.kubernetes.io/name', operator: 'In', values: ['search', 'search-canary'] },
        { key: 'tier', operator: 'NotIn', values: ['batch'] },
      ],
    });
  });

  it('resolves every pod to the top of its controller chain', () => {
    const owners = Object.fromEntries(snapshot.pods.map((p) => [p.name, p.owner]));
    expect(snapshot.pods).toHaveLength(21);
    expect(owners['catalog-api-7d9f8b6c5d-x7k2p']).toEqual({ kind: 'Deployment', name: 'catalog-api' });
    expect(owners['playback-5f6d7c8b9a-m3k9j']).toEqual({ kind: 'Deployment', name: 'playback' });
    expect(owners['postgres-1']).toEqual({ kind: 'StatefulSet', name: 'postgres' });
    expect(owners['kube-prometheus-stack-prometheus-node-exporter-p9d3m']).toEqual({
      kind: 'DaemonSet',
      name: 'kube-prometheus-stack-prometheus-node-exporter',
    });
    expect(owners['catalog-reindex-28911230-x8d2k']).toEqual({ kind: 'Job', name: 'catalog-reindex-28911230' });
    expect(owners['debug-shell']).toBeNull();
  });

  it('keeps what pods say about their containers: node, phase, restarts and why the last run ended', () => {
    const oomed = snapshot.pods.find((p) => p.name === 'playback-5f6d7c8b9a-m3k9j');
    expect(oomed).toMatchObject({
      namespace: 'streaming',
      nodeName: 'ip-10-0-2-41.eu-west-1.compute.internal',
      phase: 'Running',
      labels: { 'pod-template-hash': '5f6d7c8b9a' },
    });
    expect(oomed?.containerStates).toEqual([
      { name: 'app', ready: false, restartCount: 4, lastTerminationReason: 'OOMKilled' },
      { name: 'envoy', ready: true, restartCount: 0, lastTerminationReason: null },
    ]);
    expect(oomed?.containers.map((c) => [c.name, c.sidecar])).toEqual([
      ['app', false],
      ['envoy', true],
    ]);
  });

  it('reads node capacity and allocatable in cores and bytes, readiness and cordons', () => {
    expect(snapshot.nodes.map((n) => [n.name, n.allocatable, n.capacity, n.ready, n.unschedulable])).toEqual(
      ['ip-10-0-1-23', 'ip-10-0-2-41', 'ip-10-0-3-77'].map((host, i) => [
        `${host}.eu-west-1.compute.internal`,
        { cpu: 3.92, memory: 15052388 * 1024, pods: 58 },
        { cpu: 4, memory: 16070244 * 1024, pods: 58 },
        true,
        i === 2,
      ]),
    );
    expect(snapshot.nodes[0]?.labels['node.kubernetes.io/instance-type']).toBe('m6i.xlarge');
  });

  it('reads services with labels, selectors and ports, so Prometheus can be discovered later', () => {
    expect(snapshot.services.map((s) => `${s.namespace}/${s.name}`)).toEqual([
      'catalog/catalog-api',
      'data/pgbouncer',
      'data/postgres',
      'monitoring/kube-prometheus-stack-prometheus',
      'monitoring/prometheus-operated',
      'monitoring/thanos-query',
      'streaming/playback',
    ]);
    const prometheus = snapshot.services.find((s) => s.name === 'kube-prometheus-stack-prometheus');
    expect(prometheus?.labels['app.kubernetes.io/name']).toBe('prometheus');
    expect(prometheus?.type).toBe('ClusterIP');
    expect(prometheus?.ports).toEqual([
      { name: 'http-web', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: null },
      { name: 'reloader-web', port: 8080, targetPort: 'reloader-web', protocol: 'TCP', appProtocol: 'http' },
    ]);
  });

  it('is the same snapshot a manifest folder with the same objects gives', () => {
    const fromFiles = readManifestFolder(FIXTURES);
    const comparable = (s: FleetSnapshot): object =>
      JSON.parse(
        JSON.stringify({ ...s, source: undefined, location: undefined, serverVersion: undefined, warnings: undefined }),
        (key, value: unknown) => (key === 'origin' ? null : value),
      );
    expect(comparable(snapshot)).toEqual(comparable(fromFiles));
    expect(fromFiles.warnings).toEqual(['Ignored 5 object(s) of kinds Headroom does not use: ConfigMap (1), Namespace (4).']);
  });
});

describe('reading only', () => {
  it('issues GETs only, paging every list with limit and continue', async () => {
    const small = await reader({ pageSize: 4 }).readSnapshot();
    const requests = emulator.requests;
    expect(small).toEqual(await reader().readSnapshot());

    expect(requests.every((r) => r.method === 'GET' && r.kind === 'api')).toBe(true);
    expect(emulator.writeRequests()).toEqual([]);
    const pods = requests.filter((r) => r.path === '/api/v1/pods');
    expect(pods.map((r) => r.query.limit)).toEqual(['4', '4', '4', '4', '4', '4']);
    expect(pods.filter((r) => r.query.continue !== undefined)).toHaveLength(5);
    expect(new Set(requests.map((r) => r.path))).toEqual(
      new Set([
        '/version',
        '/apis/apps/v1/deployments',
        '/apis/apps/v1/statefulsets',
        '/apis/apps/v1/daemonsets',
        '/apis/apps/v1/replicasets',
        '/apis/autoscaling/v2/horizontalpodautoscalers',
        '/apis/policy/v1/poddisruptionbudgets',
        '/api/v1/pods',
        '/api/v1/nodes',
        '/api/v1/services',
      ]),
    );
  });

  it('limits itself to one namespace, reading nodes cluster-wide', async () => {
    const snapshot = await reader().readSnapshot({ namespace: 'streaming' });
    expect(snapshot.namespace).toBe('streaming');
    expect(snapshot.workloads.map((w) => w.name)).toEqual(['playback', 'search']);
    expect(snapshot.pods.every((p) => p.namespace === 'streaming')).toBe(true);
    expect(snapshot.pods).toHaveLength(6);
    expect(snapshot.pdbs.map((p) => p.name)).toEqual(['playback-v1', 'search']);
    expect(snapshot.nodes).toHaveLength(3);
    const paths = emulator.requests.map((r) => r.path);
    expect(paths).toContain('/apis/apps/v1/namespaces/streaming/deployments');
    expect(paths).toContain('/api/v1/namespaces/streaming/pods');
    expect(paths).toContain('/api/v1/nodes');
    expect(paths.filter((p) => p.startsWith('/api') && !p.includes('/namespaces/streaming/') && p !== '/api/v1/nodes')).toEqual([]);
  });
});

describe('when the cluster says no', () => {
  it('stops with a clear message when the credentials are rejected (401)', async () => {
    const wrong = emulator.writeKubeconfig(join(folder, 'wrong'), { name: 'stale', token: 'expired-token' }).path;
    const error = await rejected(reader({}, undefined, wrong).readSnapshot());
    expect(error.reason).toBe('unauthorized');
    expect(error.message).toBe(
      'The API server rejected the credentials of context "stale" (401 Unauthorized): refresh your login or token (for example by running your cloud\'s login command, or kubectl get pods once), then retry.',
    );
  });

  it('stops on a 401 from a list call too, not only from /version', async () => {
    emulator.failWith(401, { path: '/apis/policy' });
    const error = await rejected(reader().readSnapshot());
    expect(error.reason).toBe('unauthorized');
  });

  it('carries on without a resource RBAC refuses, naming it and the permission needed', async () => {
    emulator.failWith(403, { path: '/api/v1/pods' });
    const snapshot = await reader().readSnapshot();
    expect(snapshot.unreadable).toEqual(['pods']);
    expect(snapshot.pods).toEqual([]);
    expect(snapshot.workloads).toHaveLength(8);
    expect(snapshot.warnings).toEqual([
      'RBAC refused to let context "emulator" list pods cluster-wide (403 Forbidden: pods is forbidden: User "headroom-reader" cannot list resource "pods" in API group "" at the cluster scope): Headroom needs get and list on pods in the core API group; the analysis continues without pods.',
    ]);
  });

  it('names the namespace and the API group when a namespaced read is refused', async () => {
    emulator.failWith(403, { path: '/apis/policy/v1/namespaces/data/poddisruptionbudgets' });
    emulator.failWith(403, { path: '/api/v1/nodes' });
    const snapshot = await reader().readSnapshot({ namespace: 'data' });
    expect(snapshot.unreadable).toEqual(['poddisruptionbudgets', 'nodes']);
    expect(snapshot.warnings[0]).toMatch(
      /^RBAC refused to let context "emulator" list poddisruptionbudgets in namespace "data" \(403 Forbidden: .*\): Headroom needs get and list on poddisruptionbudgets in API group "policy"; the analysis continues without poddisruptionbudgets\.$/,
    );
    expect(snapshot.warnings[1]).toMatch(/list nodes cluster-wide/);
    // Without PDBs read, no workload may look unprotected by mistake: the snapshot says they are unknown.
    expect(snapshot.workloads.find((w) => w.name === 'postgres')?.pdbs).toEqual([]);
  });

  it('carries on when an API group is not served (404) or a list fails on the server (500)', async () => {
    emulator.failWith(404, { path: '/apis/autoscaling/v2' });
    emulator.failWith(500, { path: '/api/v1/services' });
    const snapshot = await reader().readSnapshot();
    expect(snapshot.unreadable).toEqual(['horizontalpodautoscalers', 'services']);
    expect(snapshot.warnings).toEqual([
      'The API server does not serve autoscaling/v2 horizontalpodautoscalers (404): the cluster may be too old for it; the analysis continues without horizontalpodautoscalers.',
      'The API server failed to list services (500: Internal error occurred: injected failure); the analysis continues without services.',
    ]);
    expect(snapshot.hpas).toEqual([]);
    expect(snapshot.workloads.find((w) => w.name === 'catalog-api')?.hpas).toEqual([]);
  });

  it('gives up on a server that does not answer in time, saying where and that metrics carry on', async () => {
    emulator.hang({ path: '/apis/apps/v1/statefulsets' });
    const started = performance.now();
    const error = await rejected(reader({ requestTimeoutMs: 300 }).readSnapshot());
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(
      `The API server of context "emulator" at ${emulator.url} did not answer within 0.3 s; the analysis continues from metrics alone.`,
    );
  });

  it('reports a server that cannot be reached', async () => {
    const gone = await K8sEmulator.start();
    const file = gone.writeKubeconfig(join(folder, 'gone'), { name: 'gone' }).path;
    const url = gone.url;
    await gone.close();
    const error = await rejected(reader({}, undefined, file).readSnapshot());
    expect(error.reason).toBe('unreachable');
    expect(error.message).toBe(
      `Could not reach the API server of context "gone" at ${url} (ECONNREFUSED); the analysis continues from metrics alone.`,
    );
  });

  it('tells a certificate problem from an unreachable server', async () => {
    const file = emulator.writeKubeconfig(join(folder, 'wrong-ca'), { name: 'wrong-ca' }).path;
    // The client certificate is not a CA: the server's certificate cannot be verified against it.
    copyFileSync(join(folder, 'wrong-ca-client.crt'), join(folder, 'wrong-ca-ca.crt'));
    const error = await rejected(reader({}, undefined, file).readSnapshot());
    expect(error.reason).toBe('tls');
    expect(error.message).toMatch(
      new RegExp(
        `^The API server at ${emulator.url.replace(/\./g, '\\.')} presented a certificate that context "wrong-ca" does not trust \\([A-Z_]+\\): check certificate-authority in the kubeconfig; the analysis continues from metrics alone\\.$`,
      ),
    );
  });
});
