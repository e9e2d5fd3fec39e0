import type { BacktestResult, ContainerBacktest } from '../../core/analysis/recommend/backtest';
import type { Finding, Recommendation, Report, ServiceReport } from '../../core/api/report';

/** A small report with one of everything the formats show: a paging service, a silenced finding, each kind of recommendation. */
const NOW = 1_794_506_400;
const Mi = 1024 ** 2;

const BURN_NONE = { '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0 };

function service(namespace: string, name: string, more: Partial<ServiceReport> = {}): ServiceReport {
  return {
    namespace,
    name,
    kind: 'Deployment',
    rps: 12.5,
    errorRatio: 0.001,
    latency: { p50: 0.02, p95: 0.09, p99: 0.18, p99Bucket: [0.1, 0.25] },
    slo: { objective: 0.999, errorBudgetRemaining: 0.8, burnRates: BURN_NONE, alert: 'none' },
    ...more,
  };
}

function finding(rule: string, severity: Finding['severity'], target: Finding['target'], summary: string, more: Partial<Finding> = {}): Finding {
  return { rule, severity, target, summary, evidence: [{ label: 'x', query: 'up', value: 1 }], remediation: 'fix it', ...more };
}

const HPA_MANIFEST = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: order
  namespace: checkout
spec:
  maxReplicas: 5
  metrics:
    - type: Pods
      pods:
        metric:
          name: http_requests_per_second
        target:
          type: AverageValue
          averageValue: 39100m
  minReplicas: 2
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: order
`;

const PDB_MANIFEST = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: shipping
  namespace: fulfilment
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: shipping
`;

const NONE = { cpu: { request: null, limit: null }, memory: { request: null, limit: null } };

export function sampleRecommendations(): Recommendation[] {
  return [
    {
      kind: 'resources',
      target: { namespace: 'analytics', kind: 'Deployment', name: 'reporting' },
      container: 'reporting',
      current: { cpu: { request: 2, limit: null }, memory: { request: 4096 * Mi, limit: 4096 * Mi } },
      proposed: { cpu: { request: 0.045, limit: null }, memory: { request: 956 * Mi, limit: 956 * Mi } },
      manifest: '',
      confidence: 0.9,
      rationale: ['CPU request = pooled p95 of usage (38m) + 10 %', 'needs an adapter; its rule:\nrules:\n  - name: x'],
    },
    { kind: 'hpa', target: { namespace: 'checkout', kind: 'Deployment', name: 'order' }, container: '', current: NONE, proposed: NONE, manifest: HPA_MANIFEST, confidence: 1, rationale: ['not CPU'] },
    { kind: 'pdb', target: { namespace: 'fulfilment', kind: 'Deployment', name: 'shipping' }, container: '', current: NONE, proposed: NONE, manifest: PDB_MANIFEST },
  ];
}

export function sampleReport(): Report {
  return {
    schemaVersion: 1,
    window: { start: NOW - 7 * 86_400, end: NOW },
    services: [
      service('storefront', 'catalog', { rps: 160.2, errorRatio: 0.00024, latency: { p50: 0.012, p95: 0.039, p99: 0.181, p99Bucket: [0.1, 0.25] } }),
      service('analytics', 'reporting', { rps: 0.025, lowTraffic: true, latency: { p50: 0.6, p95: 1.9, p99: 4.35, p99Bucket: [2, 5] } }),
      service('checkout', 'payment', {
        rps: 27.9,
        errorRatio: 0.0015,
        latency: { p50: 0.09, p95: 0.23, p99: 0.249, p99Bucket: [0.1, 0.25] },
        slo: { objective: 0.999, errorBudgetRemaining: -0.37, burnRates: { ...BURN_NONE, '5m': 90.1, '1h': 90.2 }, alert: 'page' },
      }),
      service('data', 'redis-cache', { kind: 'StatefulSet', rps: null, errorRatio: null, latency: { p50: null, p95: null, p99: null, p99Bucket: null } }),
    ],
    findings: [
      finding('overprovisioned', 'warning', { namespace: 'analytics', kind: 'Deployment', name: 'reporting' }, 'analytics/reporting requests far more than it uses.', { recommendation: 0 }),
      finding('slo-burn', 'critical', { namespace: 'checkout', kind: 'Deployment', name: 'payment' }, 'checkout/payment pages on its 99.9 % availability SLO: burn 90.2× over 1h.'),
      finding('missing-pdb', 'warning', { namespace: 'fulfilment', kind: 'Deployment', name: 'shipping' }, 'no PDB | selects its pods', {
        recommendation: 2,
        silenced: { reason: 'replaced next sprint', expiresAt: NOW + 86_400, createdAt: NOW - 3600 },
      }),
      finding('hot-shard', 'info', { namespace: 'kafka', kind: 'KafkaTopic', name: 'order.placed' }, 'partition 3 takes 55 %.'),
    ],
    recommendations: sampleRecommendations(),
    warnings: ['Ignored 8 object(s) of kinds Headroom does not use: Namespace (8).'],
    notEvaluated: [{ rule: 'overprovisioned', target: null, missing: ['no CPU metrics'] }],
  };
}

function container(namespace: string, workload: string, more: Partial<ContainerBacktest>): ContainerBacktest {
  return {
    namespace,
    workload,
    kind: 'Deployment',
    container: workload,
    replicas: 2,
    current: { cpu: 0.5, memory: 512 * Mi },
    proposed: { cpu: 0.1, cpuLimit: null, memory: 256 * Mi, memoryLimit: 256 * Mi },
    memoryMinutesAboveLimit: 0,
    memoryPeakAboveLimit: false,
    cpuMinutesAboveRequest: 10,
    cpuMinutesAboveLimit: 0,
    coresSaved: 0.8,
    gibSaved: 0.5,
    ...more,
  };
}

export function sampleBacktest(): BacktestResult & { requests: number } {
  const totals = { memoryMinutesAboveLimit: 0, containersOverMemoryLimit: 0, cpuMinutesAboveRequest: 1543, cpuMinutesAboveLimit: 0, coresSaved: 4.88, gibSaved: 9.44, moneySaved: 141.93 };
  return {
    fit: { start: NOW - 7 * 86_400, end: NOW - 3 * 86_400 },
    test: { start: NOW - 3 * 86_400, end: NOW },
    prices: { cpu: 0.031611, memory: 0.004237, currency: 'USD' },
    strategies: [
      { strategy: 'headroom', containers: [container('analytics', 'reporting', {})], totals },
      {
        strategy: 'krr-simple',
        containers: [container('media', 'thumbnailer', { memoryPeakAboveLimit: true, memoryMinutesAboveLimit: 34, proposed: { cpu: 0.1, cpuLimit: null, memory: 512 * Mi, memoryLimit: 512 * Mi } })],
        totals: { ...totals, memoryMinutesAboveLimit: 34, containersOverMemoryLimit: 1, cpuMinutesAboveRequest: 2838, coresSaved: 5.99, gibSaved: 8.22, moneySaved: 1163.6 },
      },
    ],
    unmatched: ['media/Deployment/thumbnailer/sidecar'],
    requests: 12,
  };
}
