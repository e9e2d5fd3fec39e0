/**
 * Discovery against the Kubernetes API emulator: its kube-prometheus-stack and Thanos Services plus a Mimir and a
 * VictoriaMetrics Service from our fixtures, with the service proxy pointed at a real small Prometheus, at a
 * login page, at nothing, or refused by RBAC.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig, selectContext, type SelectedContext } from '../../../core/kubernetes/kubeconfig';
import { discoverPrometheus, type DiscoveryCandidate, type DiscoveryReport } from '../../../core/prometheus/discovery';
import { K8sEmulator } from '../../k8s-emulator/emulator';
import { FIXTURES, temporaryFolder } from '../../k8s-emulator/helpers';
import { FaultServer } from './fault-server';
import { every, startSmallPrometheus, type SmallStore } from './small-prometheus';

const OUR_FIXTURES = join(import.meta.dirname, 'fixtures', 'cluster');
const NOW = Math.floor(Date.now() / 1000 / 60) * 60;
const recent = (value: number): Array<[number, number]> => every(60, NOW - 7200, NOW, () => value);

let prometheus: SmallStore;
let loginPage: FaultServer;
let k8s: K8sEmulator;
let folder: string;
let context: SelectedContext;

beforeAll(async () => {
  prometheus = await startSmallPrometheus([
    { labels: { __name__: 'up', job: 'kubelet', instance: 'node-1' }, samples: recent(1) },
    { labels: { __name__: 'up', job: 'kubelet', instance: 'node-2' }, samples: recent(1) },
    { labels: { __name__: 'up', job: 'kube-state-metrics', instance: 'ksm' }, samples: recent(1) },
    { labels: { __name__: 'kube_pod_info', namespace: 'shop', pod: 'cart-0' }, samples: recent(1) },
    { labels: { __name__: 'container_cpu_usage_seconds_total', namespace: 'shop', pod: 'cart-0', container: 'app' }, samples: recent(5) },
  ]);
  loginPage = await FaultServer.start();
  loginPage.handle(() => ({ headers: { 'Content-Type': 'text/html' }, text: '<html><title>Grafana Labs - Sign in</title></html>' }));
  folder = temporaryFolder('discovery');
}, 120_000);

afterAll(async () => {
  await loginPage.close();
  await prometheus.stop();
  rmSync(folder, { recursive: true, force: true });
});

async function startEmulator(): Promise<void> {
  k8s = await K8sEmulator.start({ folders: [FIXTURES, OUR_FIXTURES] });
  const { path } = k8s.writeKubeconfig(join(folder, `config-${Date.now()}`));
  context = selectContext(loadKubeconfig({ file: path }));
}

afterEach(async () => {
  await k8s.close();
});

function find(report: DiscoveryReport, service: string, port: number): DiscoveryCandidate {
  const candidate = report.candidates.find((c) => c.service === service && c.port === port);
  if (candidate === undefined) throw new Error(`no candidate ${service}:${port} in ${JSON.stringify(report.candidates.map((c) => `${c.service}:${c.port}`))}`);
  return candidate;
}

/** The emulator saw reads and PromQL POSTs through the service proxy, nothing else. */
function expectOnlyReads(): void {
  expect(k8s.writeRequests()).toEqual([]);
  for (const request of k8s.requests) {
    const proxiedQuery = request.kind === 'proxy' && request.method === 'POST' && /\/proxy(\/prometheus)?\/api\/v1\/query$/.test(request.path);
    expect(request.method === 'GET' || proxiedQuery, `${request.method} ${request.path}`).toBe(true);
  }
}

describe('discovery through the service proxy', () => {
  it('chooses the global view among working stores and says why every other candidate was turned down', async () => {
    await startEmulator();
    k8s.setServiceUpstream('monitoring', 'kube-prometheus-stack-prometheus', prometheus.url);
    // A Thanos Querier answers the same API as the Prometheus it fronts.
    k8s.setServiceUpstream('monitoring', 'thanos-query', prometheus.url);
    k8s.setServiceUpstream('mimir', 'mimir-query-frontend', loginPage.url);
    k8s.setServiceUpstream('vm', 'vmsingle-main', prometheus.url);
    k8s.failWith(403, { path: '/api/v1/namespaces/vm/services' });

    const report = await discoverPrometheus(context);

    expect(report.selected).toBe(report.candidates[0]);
    expect(report.selected).toMatchObject({
      kind: 'thanos',
      namespace: 'monitoring',
      service: 'thanos-query',
      port: 9090,
      portName: 'http',
      matchedBy: 'app.kubernetes.io/name=thanos,app.kubernetes.io/component=query',
      target: { namespace: 'monitoring', service: 'thanos-query', port: 'http', scheme: 'http', pathPrefix: '' },
      url: `${k8s.url}/api/v1/namespaces/monitoring/services/http:thanos-query:http/proxy`,
      outcome: 'works',
      reason: 'answers PromQL; 3 scrape targets; cAdvisor and kube-state-metrics present',
      data: { targets: 3, clusters: 1, kubeStateMetrics: true, cadvisor: true },
    });
    expect(report.candidates[1]).toMatchObject({ service: 'kube-prometheus-stack-prometheus', port: 9090, outcome: 'works' });

    expect(find(report, 'kube-prometheus-stack-prometheus', 8080)).toMatchObject({
      outcome: 'rejected',
      probed: false,
      reason: 'port 8080 (reloader-web) is the config-reloader, not Prometheus',
    });
    expect(find(report, 'prometheus-operated', 9090)).toMatchObject({
      kind: 'prometheus',
      matchedBy: 'operated-prometheus=true',
      outcome: 'rejected',
      probed: true,
      reason: 'service proxy answered 503: no endpoints available for service "prometheus-operated"',
    });
    const mimir = find(report, 'mimir-query-frontend', 8080);
    expect(mimir).toMatchObject({
      kind: 'mimir',
      url: `${k8s.url}/api/v1/namespaces/mimir/services/http:mimir-query-frontend:http-metrics/proxy/prometheus`,
      outcome: 'rejected',
      reason: 'answered but is not Prometheus JSON',
    });
    expect(mimir.error).toContain('is not Prometheus JSON (HTML titled "Grafana Labs - Sign in": a login page?)');
    expect(find(report, 'mimir-query-frontend', 9095)).toMatchObject({
      outcome: 'rejected',
      probed: false,
      reason: 'port 9095 (grpc) speaks gRPC (Thanos StoreAPI), not the HTTP API',
    });
    expect(find(report, 'vmsingle-main', 8429)).toMatchObject({
      kind: 'victoriametrics',
      outcome: 'rejected',
      reason: expect.stringMatching(/^403: RBAC does not allow get on services\/proxy in namespace vm: forbidden: User "headroom-reader"/),
    });
    expect(report.nextSteps).toEqual([]);
    expect(report.notes).toEqual([]);
    expect(report.servicesSeen).toBeGreaterThan(5);

    expectOnlyReads();
    expect(k8s.requests.filter((r) => r.kind === 'api').map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/services']);
    const probes = k8s.requests.filter((r) => r.kind === 'proxy');
    expect(probes.every((r) => r.user === 'headroom-reader')).toBe(true);
    expect(new URLSearchParams(probes[0]?.body).get('query')).toBe('vector(1)');
  });

  it('falls back to a single Prometheus when the global view does not answer in time', async () => {
    await startEmulator();
    k8s.setServiceUpstream('monitoring', 'kube-prometheus-stack-prometheus', prometheus.url);
    k8s.setServiceUpstream('monitoring', 'thanos-query', prometheus.url);
    k8s.hang({ path: '/api/v1/namespaces/monitoring/services/http:thanos-query:http/proxy' });

    const report = await discoverPrometheus(context, { probeTimeoutMs: 500 });

    expect(report.selected).toMatchObject({ service: 'kube-prometheus-stack-prometheus', port: 9090, kind: 'prometheus' });
    expect(find(report, 'thanos-query', 9090)).toMatchObject({ outcome: 'rejected', reason: 'did not answer within 0.5 s' });
    expectOnlyReads();
  });

  it('says what was tried and what to do when nothing answers', async () => {
    await startEmulator();

    const report = await discoverPrometheus(context);

    expect(report.selected).toBeNull();
    expect(report.candidates.filter((c) => c.outcome === 'works')).toEqual([]);
    const probed = report.candidates.filter((c) => c.probed).map((c) => `${c.namespace}/${c.service}:${c.port} ${c.reason}`);
    expect(probed.sort()).toEqual([
      'mimir/mimir-query-frontend:8080 service proxy answered 503: no endpoints available for service "mimir-query-frontend"',
      'monitoring/kube-prometheus-stack-prometheus:9090 service proxy answered 503: no endpoints available for service "kube-prometheus-stack-prometheus"',
      'monitoring/prometheus-operated:9090 service proxy answered 503: no endpoints available for service "prometheus-operated"',
      'monitoring/thanos-query:9090 service proxy answered 503: no endpoints available for service "thanos-query"',
      'vm/vmsingle-main:8429 service proxy answered 503: no endpoints available for service "vmsingle-main"',
    ]);
    expect(report.nextSteps).toEqual([
      `Port-forward to it yourself: kubectl --context ${context.name} -n mimir port-forward svc/mimir-query-frontend 8080:8080, then connect to http://127.0.0.1:8080/prometheus as a direct URL.`,
      'If the metrics live outside this cluster (Grafana Cloud, Amazon Managed Prometheus, a central Thanos, Mimir or VictoriaMetrics), enter that URL directly, with its token and, for Mimir, X-Scope-OrgID.',
    ]);
    // Probes are never retried: one vector(1) per probed candidate.
    expect(k8s.requests.filter((r) => r.kind === 'proxy')).toHaveLength(5);
    expectOnlyReads();
  });

  it('looks in the usual namespaces when RBAC refuses listing Services cluster-wide', async () => {
    await startEmulator();
    k8s.setServiceUpstream('monitoring', 'kube-prometheus-stack-prometheus', prometheus.url);
    k8s.failWith(403, { path: '/api/v1/services' });

    const report = await discoverPrometheus(context);

    expect(report.selected).toMatchObject({ service: 'kube-prometheus-stack-prometheus', port: 9090 });
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0]).toMatch(/^RBAC does not allow listing Services in all namespaces \(403\); looked in monitoring, prometheus, .*mimir.* instead\./);
    expect(report.candidates.some((c) => c.service === 'mimir-query-frontend')).toBe(true);
    expect(k8s.requests.filter((r) => r.kind === 'api').map((r) => r.path)).toContain('/api/v1/namespaces/monitoring/services');
    expectOnlyReads();
  });

  it('reports rejected credentials without probing anything', async () => {
    await startEmulator();
    const { path } = k8s.writeKubeconfig(join(folder, 'config-wrong-token'), { token: 'not-a-valid-token' });
    const report = await discoverPrometheus(selectContext(loadKubeconfig({ file: path })));

    expect(report.selected).toBeNull();
    expect(report.candidates).toEqual([]);
    expect(report.notes).toEqual([
      'The API server of context "emulator" rejected its credentials (401) while listing Services; log in again (kubectl get pods shows whether they work).',
    ]);
    expect(k8s.requests.filter((r) => r.kind === 'proxy')).toEqual([]);
  });
});
