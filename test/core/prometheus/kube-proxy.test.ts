import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesError } from '../../../core/kubernetes/errors';
import { loadKubeconfig, selectContext, type SelectedContext } from '../../../core/kubernetes/kubeconfig';
import { PrometheusClient, PrometheusError, connectionSchema } from '../../../core/prometheus/client';
import {
  createKubeProxyClient,
  kubeProxyConnection,
  kubeProxyTargetSchema,
  kubeProxyUrl,
  type KubeProxyTargetInput,
} from '../../../core/prometheus/kube-proxy';
import { K8sEmulator } from '../../k8s-emulator/emulator';
import { FIXTURES, temporaryFolder } from '../../k8s-emulator/helpers';
import { FaultServer } from './fault-server';

const T = 1_790_000_000;
const TARGET: KubeProxyTargetInput = { namespace: 'monitoring', service: 'kube-prometheus-stack-prometheus', port: 'http-web' };

let k8s: K8sEmulator;
let upstream: FaultServer;
let folder: string;
let kubeconfig: { path: string; contexts: { token: string; exec: string; cert: string } };

function context(name: string, file = kubeconfig.path): SelectedContext {
  return selectContext(loadKubeconfig({ file }), name);
}

beforeAll(async () => {
  k8s = await K8sEmulator.start({ folders: [FIXTURES] });
  upstream = await FaultServer.start();
  k8s.setServiceUpstream('monitoring', 'kube-prometheus-stack-prometheus', upstream.url);
  folder = temporaryFolder('kube-proxy');
  kubeconfig = k8s.writeKubeconfig(join(folder, 'config'));
});
afterEach(() => {
  k8s.clearRequests();
  k8s.clearFaults();
  upstream.reset();
});
afterAll(async () => {
  await k8s.close();
  await upstream.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('kubeProxyUrl', () => {
  it.each<[string, KubeProxyTargetInput, string]>([
    ['https://api:6443', TARGET, 'https://api:6443/api/v1/namespaces/monitoring/services/http:kube-prometheus-stack-prometheus:http-web/proxy'],
    [
      'https://rancher.example/k8s/clusters/c-m-abc/',
      { namespace: 'mimir', service: 'mimir-query-frontend', port: 8080, pathPrefix: '/prometheus' },
      'https://rancher.example/k8s/clusters/c-m-abc/api/v1/namespaces/mimir/services/http:mimir-query-frontend:8080/proxy/prometheus',
    ],
    [
      'https://api:6443',
      { namespace: 'openshift-monitoring', service: 'thanos-querier', port: 'web', scheme: 'https' },
      'https://api:6443/api/v1/namespaces/openshift-monitoring/services/https:thanos-querier:web/proxy',
    ],
  ])('%s + %j', (server, target, url) => {
    expect(kubeProxyUrl(server, target)).toBe(url);
  });

  it.each(['/prometheus/', 'prometheus', '/p?x=1'])('refuses the path prefix %s', (pathPrefix) => {
    expect(kubeProxyTargetSchema.safeParse({ ...TARGET, pathPrefix }).success).toBe(false);
  });
});

describe('kubeProxyConnection', () => {
  it("carries a token user's token and the cluster's CA, and survives a JSON round trip", async () => {
    const connection = await kubeProxyConnection(context(kubeconfig.contexts.token), TARGET, { timeoutMs: 5_000 });
    expect(connection).toMatchObject({
      url: kubeProxyUrl(k8s.url, TARGET),
      bearerToken: k8s.token,
      timeoutMs: 5_000,
      tls: { insecureSkipVerify: false },
    });
    expect(connection.tls.caPem).toContain('-----BEGIN CERTIFICATE-----');
    const stored = connectionSchema.parse(JSON.parse(JSON.stringify(connection)));
    const result = await new PrometheusClient(stored).instant('vector(1)', T);
    expect(result).toMatchObject({ resultType: 'vector', data: [{ value: 1 }] });
    expect(k8s.requests.map((r) => [r.method, r.kind, r.user])).toEqual([['POST', 'proxy', 'headroom-reader']]);
    expect(upstream.requests.map((r) => r.path)).toEqual(['/api/v1/query']);
    // The API server does not pass the kubeconfig's token on to the service.
    expect(upstream.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("carries an x509 user's client certificate", async () => {
    const connection = await kubeProxyConnection(context(kubeconfig.contexts.cert), TARGET);
    expect(connection.bearerToken).toBeUndefined();
    expect(connection.tls.certPem).toContain('-----BEGIN CERTIFICATE-----');
    expect(connection.tls.keyPem).toContain('PRIVATE KEY-----');
    await new PrometheusClient(connection).instant('vector(1)', T);
    expect(k8s.requests.map((r) => r.user)).toEqual(['headroom-cert-user']);
  });

  it("runs an exec plugin for its token", async () => {
    const connection = await kubeProxyConnection(context(kubeconfig.contexts.exec), TARGET);
    expect(connection.bearerToken).toBe(k8s.execToken);
  });
});

describe('createKubeProxyClient', () => {
  it('queries through the service proxy as the exec user, asking for credentials per request', async () => {
    const client = await createKubeProxyClient(context(kubeconfig.contexts.exec), TARGET);
    await client.instant('up', T);
    await client.range('up', T - 600, T, 60);
    expect(client.connection.bearerToken).toBeUndefined();
    expect(k8s.requests.map((r) => [r.method, r.path.replace(/^.*\/proxy/, ''), r.user])).toEqual([
      ['POST', '/api/v1/query', 'headroom-exec'],
      ['POST', '/api/v1/query_range', 'headroom-exec'],
    ]);
    expect(client.stats.requests).toBe(2);
  });

  it('says when the exec plugin fails', async () => {
    const broken = k8s.writeKubeconfig(join(folder, 'config-exec-fails'), { name: 'broken', execFails: true });
    const error = await createKubeProxyClient(context(broken.contexts.exec, broken.path), TARGET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesError);
    expect(error).toMatchObject({ reason: 'credentials-failed' });
    expect((error as KubernetesError).message).toMatch(/^The credentials of context "broken-exec" could not be prepared \(.*\); run its login command/);
  });

  it('reports credentials the API server rejects without showing them', async () => {
    const wrong = k8s.writeKubeconfig(join(folder, 'config-wrong'), { name: 'wrong', token: 'wrong-token-1234' });
    const client = await createKubeProxyClient(context(wrong.contexts.token, wrong.path), TARGET);
    const error = await client.instant('up', T).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, kubernetes: true });
    expect((error as PrometheusError).message).toMatch(
      /^401 from https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/monitoring\/services\/http:kube-prometheus-stack-prometheus:http-web\/proxy\/api\/v1\/query: Unauthorized: the Kubernetes credentials were rejected; log in again/,
    );
    expect((error as PrometheusError).message).not.toContain('wrong-token-1234');
    expect(upstream.requests).toEqual([]);
  });
});
