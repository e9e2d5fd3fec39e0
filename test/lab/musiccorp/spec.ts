import { stepOf } from '../model/clock';
import type { Random } from '../model/random';
import type { ContainerSpec, Node, WorkloadSpec } from '../model/workload';

/**
 * MusicCorp's production cluster: what is deployed, with which requests, limits, autoscalers and
 * disruption budgets. Label conventions differ between teams on purpose (some select on `app`,
 * some on `app.kubernetes.io/name`), as they do in real fleets.
 */
export const Mi = 1024 ** 2;
export const Gi = 1024 ** 3;

export function makeNodes(random: Random): Node[] {
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  return Array.from({ length: 6 }, (_, n) => {
    const ip = `10.20.${30 + (n % 3)}.${random.int(10, 250)}`;
    return {
      name: `ip-${ip.replace(/\./g, '-')}.eu-west-1.compute.internal`,
      ip,
      zone: zones[n % 3] as string,
      cpu: 7.91,
      memory: 30.4 * Gi,
    };
  });
}

const container = (
  name: string,
  image: string,
  requests: ContainerSpec['requests'],
  limits: ContainerSpec['limits'],
  port?: ContainerSpec['port'],
): ContainerSpec => (port ? { name, image, requests, limits, port } : { name, image, requests, limits });

const http = (containerPort: number): ContainerSpec['port'] => ({ name: 'http', containerPort });

function appLabels(name: string, tier: string, style: 'app' | 'recommended'): { labels: Record<string, string>; selector: Record<string, string> } {
  const labels = { app: name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'musiccorp', tier };
  const selector: Record<string, string> = style === 'app' ? { app: name } : { 'app.kubernetes.io/name': name };
  return { labels, selector };
}

const at = (iso: string): number => stepOf(Date.parse(iso) / 1000);

export function musicCorpWorkloads(): WorkloadSpec[] {
  return [
    // --- storefront -------------------------------------------------------------------------
    {
      namespace: 'storefront',
      name: 'frontend',
      kind: 'Deployment',
      ...appLabels('frontend', 'web', 'app'),
      containers: [container('frontend', 'ghcr.io/musiccorp/frontend:3.14.2', { cpu: 0.25, memory: 256 * Mi }, { memory: 512 * Mi }, http(8080))],
      replicas: 3,
      hpa: { name: 'frontend', minReplicas: 3, maxReplicas: 12, cpuUtilization: 70 },
      pdb: { name: 'frontend', selector: { app: 'frontend' }, minAvailable: 2 },
      rollouts: [at('2026-11-10T14:30:00Z')],
      service: { name: 'frontend', port: 8080, portName: 'http' },
    },
    {
      namespace: 'storefront',
      name: 'catalog',
      kind: 'Deployment',
      ...appLabels('catalog', 'api', 'recommended'),
      containers: [container('catalog', 'ghcr.io/musiccorp/catalog:2.8.0', { cpu: 0.15, memory: 384 * Mi }, { cpu: 1, memory: 768 * Mi }, http(8080))],
      replicas: 4,
      pdb: { name: 'catalog', selector: { 'app.kubernetes.io/name': 'catalog' }, maxUnavailable: 1 },
      rollouts: [at('2026-11-06T09:15:00Z')],
      service: { name: 'catalog', port: 8080, portName: 'http' },
    },
    {
      namespace: 'storefront',
      name: 'inventory',
      kind: 'Deployment',
      ...appLabels('inventory', 'api', 'app'),
      containers: [container('inventory', 'ghcr.io/musiccorp/inventory:5.2.1', { cpu: 0.3, memory: 768 * Mi }, { memory: Gi }, http(8080))],
      replicas: 2,
      hpa: { name: 'inventory', minReplicas: 2, maxReplicas: 4, cpuUtilization: 60 },
      // Written for a `tier: backend` label the pods never had: it selects nothing.
      pdb: { name: 'inventory', selector: { app: 'inventory', tier: 'backend' }, minAvailable: 1 },
      service: { name: 'inventory', port: 8080, portName: 'http' },
    },
    {
      namespace: 'storefront',
      name: 'search',
      kind: 'Deployment',
      ...appLabels('search', 'api', 'recommended'),
      containers: [container('search', 'ghcr.io/musiccorp/search:1.19.4', { cpu: 0.25, memory: Gi }, { cpu: 0.5, memory: Gi }, http(8080))],
      replicas: 3,
      pdb: { name: 'search', selector: { 'app.kubernetes.io/name': 'search' }, maxUnavailable: 1 },
      service: { name: 'search', port: 8080, portName: 'http' },
    },
    // --- checkout ---------------------------------------------------------------------------
    {
      namespace: 'checkout',
      name: 'order',
      kind: 'Deployment',
      ...appLabels('order', 'api', 'recommended'),
      containers: [container('order', 'ghcr.io/musiccorp/order-service:4.11.0', { cpu: 0.5, memory: Gi }, { memory: 1.5 * Gi }, http(8080))],
      replicas: 3,
      hpa: { name: 'order', minReplicas: 3, maxReplicas: 12, cpuUtilization: 70 },
      pdb: { name: 'order', selector: { 'app.kubernetes.io/name': 'order' }, minAvailable: 2 },
      rollouts: [at('2026-11-09T10:00:00Z')],
      service: { name: 'order', port: 8080, portName: 'http' },
    },
    {
      namespace: 'checkout',
      name: 'payment',
      kind: 'Deployment',
      ...appLabels('payment', 'api', 'recommended'),
      containers: [container('payment', 'ghcr.io/musiccorp/payment:7.0.3', { cpu: 0.2, memory: 512 * Mi }, { memory: 768 * Mi }, http(8080))],
      replicas: 3,
      pdb: { name: 'payment', selector: { 'app.kubernetes.io/name': 'payment' }, minAvailable: 2 },
      service: { name: 'payment', port: 8080, portName: 'http' },
    },
    // --- fulfilment -------------------------------------------------------------------------
    {
      namespace: 'fulfilment',
      name: 'shipping',
      kind: 'Deployment',
      ...appLabels('shipping', 'worker', 'app'),
      containers: [container('shipping', 'ghcr.io/musiccorp/shipping:2.3.7', { cpu: 0.1, memory: 128 * Mi }, { memory: 256 * Mi }, http(9090))],
      replicas: 3,
      service: { name: 'shipping', port: 9090, portName: 'http' },
    },
    {
      namespace: 'fulfilment',
      name: 'notifications',
      kind: 'Deployment',
      ...appLabels('notifications', 'worker', 'app'),
      containers: [container('notifications', 'ghcr.io/musiccorp/notifications:1.6.0', { cpu: 0.2, memory: 96 * Mi }, { memory: 192 * Mi }, http(9090))],
      replicas: 2,
      hpa: { name: 'notifications', minReplicas: 2, maxReplicas: 8, cpuUtilization: 50 },
      pdb: { name: 'notifications', selector: { app: 'notifications' }, minAvailable: 1 },
      service: { name: 'notifications', port: 9090, portName: 'http' },
    },
    // --- media / analytics ------------------------------------------------------------------
    {
      namespace: 'media',
      name: 'thumbnailer',
      kind: 'Deployment',
      ...appLabels('thumbnailer', 'worker', 'recommended'),
      containers: [container('thumbnailer', 'ghcr.io/musiccorp/thumbnailer:0.9.12', { cpu: 0.1, memory: 384 * Mi }, { memory: 512 * Mi }, http(8080))],
      replicas: 2,
      pdb: { name: 'thumbnailer', selector: { 'app.kubernetes.io/name': 'thumbnailer' }, maxUnavailable: 1 },
      service: { name: 'thumbnailer', port: 8080, portName: 'http' },
    },
    {
      namespace: 'analytics',
      name: 'reporting',
      kind: 'Deployment',
      ...appLabels('reporting', 'batch', 'recommended'),
      containers: [container('reporting', 'ghcr.io/musiccorp/reporting:2024.11.2', { cpu: 2, memory: 4 * Gi }, { memory: 4 * Gi }, http(8080))],
      replicas: 2,
      pdb: { name: 'reporting', selector: { 'app.kubernetes.io/name': 'reporting' }, maxUnavailable: 1 },
      service: { name: 'reporting', port: 8080, portName: 'http' },
    },
    // --- data -------------------------------------------------------------------------------
    {
      namespace: 'data',
      name: 'postgres',
      kind: 'StatefulSet',
      ...appLabels('postgres', 'database', 'recommended'),
      containers: [
        container('postgres', 'docker.io/library/postgres:16.4', { cpu: 2, memory: 4 * Gi }, {}, { name: 'postgres', containerPort: 5432 }),
        container('postgres-exporter', 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0', { cpu: 0.02, memory: 32 * Mi }, { memory: 64 * Mi }, { name: 'metrics', containerPort: 9187 }),
      ],
      replicas: 1,
      service: { name: 'postgres', port: 5432, portName: 'postgres' },
    },
    {
      namespace: 'data',
      name: 'pgbouncer',
      kind: 'Deployment',
      ...appLabels('pgbouncer', 'database', 'recommended'),
      containers: [
        container('pgbouncer', 'docker.io/bitnami/pgbouncer:1.23.1', { cpu: 0.1, memory: 32 * Mi }, { memory: 128 * Mi }, { name: 'pgbouncer', containerPort: 6432 }),
        container('pgbouncer-exporter', 'quay.io/prometheuscommunity/pgbouncer-exporter:v0.10.2', { cpu: 0.02, memory: 32 * Mi }, { memory: 64 * Mi }, { name: 'metrics', containerPort: 9127 }),
      ],
      replicas: 2,
      pdb: { name: 'pgbouncer', selector: { 'app.kubernetes.io/name': 'pgbouncer' }, minAvailable: 1 },
      service: { name: 'pgbouncer', port: 6432, portName: 'pgbouncer' },
    },
    redis('redis-cache', 0.3, 1.5 * Gi),
    redis('redis-sessions', 0.2, 512 * Mi),
    {
      namespace: 'kafka',
      name: 'kafka',
      kind: 'StatefulSet',
      ...appLabels('kafka', 'broker', 'recommended'),
      containers: [container('kafka', 'docker.io/bitnami/kafka:3.8.0', { cpu: 1, memory: 4 * Gi }, {}, { name: 'kafka', containerPort: 9092 })],
      replicas: 3,
      pdb: { name: 'kafka', selector: { 'app.kubernetes.io/name': 'kafka' }, maxUnavailable: 1 },
      service: { name: 'kafka', port: 9092, portName: 'kafka' },
    },
    {
      namespace: 'kafka',
      name: 'kafka-exporter',
      kind: 'Deployment',
      ...appLabels('kafka-exporter', 'monitoring', 'recommended'),
      containers: [container('kafka-exporter', 'docker.io/danielqsj/kafka-exporter:v1.8.0', { cpu: 0.025, memory: 64 * Mi }, { memory: 128 * Mi }, { name: 'metrics', containerPort: 9308 })],
      replicas: 1,
      service: { name: 'kafka-exporter', port: 9308, portName: 'metrics' },
    },
    // --- monitoring -------------------------------------------------------------------------
    {
      namespace: 'monitoring',
      name: 'kube-state-metrics',
      kind: 'Deployment',
      ...appLabels('kube-state-metrics', 'monitoring', 'recommended'),
      containers: [container('kube-state-metrics', 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0', { cpu: 0.025, memory: 128 * Mi }, { memory: 256 * Mi }, { name: 'http', containerPort: 8080 })],
      replicas: 1,
      service: { name: 'kube-prometheus-stack-kube-state-metrics', port: 8080, portName: 'http' },
    },
    {
      namespace: 'monitoring',
      name: 'prometheus-kube-prometheus-stack-prometheus',
      kind: 'StatefulSet',
      labels: { app: 'prometheus', 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'kube-prometheus-stack-prometheus', 'operator.prometheus.io/name': 'kube-prometheus-stack-prometheus' },
      selector: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'kube-prometheus-stack-prometheus' },
      containers: [container('prometheus', 'quay.io/prometheus/prometheus:v2.54.1', { cpu: 1, memory: 4 * Gi }, {}, { name: 'http-web', containerPort: 9090 })],
      replicas: 1,
      service: { name: 'kube-prometheus-stack-prometheus', port: 9090, portName: 'http-web' },
    },
    {
      namespace: 'monitoring',
      name: 'node-exporter',
      kind: 'DaemonSet',
      ...appLabels('node-exporter', 'monitoring', 'recommended'),
      containers: [container('node-exporter', 'quay.io/prometheus/node-exporter:v1.8.2', { cpu: 0.025, memory: 32 * Mi }, { memory: 64 * Mi }, { name: 'metrics', containerPort: 9100 })],
      replicas: 6,
    },
  ];
}

function redis(name: string, cpu: number, memory: number): WorkloadSpec {
  return {
    namespace: 'data',
    name,
    kind: 'StatefulSet',
    ...appLabels(name, 'cache', 'recommended'),
    containers: [
      container('redis', 'docker.io/library/redis:7.0.15', { cpu, memory }, { memory: memory * 1.35 }, { name: 'redis', containerPort: 6379 }),
      container('redis-exporter', 'quay.io/oliver006/redis_exporter:v1.62.0', { cpu: 0.02, memory: 32 * Mi }, { memory: 64 * Mi }, { name: 'metrics', containerPort: 9121 }),
    ],
    replicas: 3,
    pdb: { name, selector: { 'app.kubernetes.io/name': name }, maxUnavailable: 1 },
    service: { name, port: 6379, portName: 'redis' },
  };
}
