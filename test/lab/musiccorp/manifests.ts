import { LAB_END, LAB_START, stepOf, stepTime } from '../model/clock';
import type { WorkloadRun } from '../model/fleet';
import { alive, incarnationAt, type ContainerSpec, type PodLife, type WorkloadSpec } from '../model/workload';
import type { MusicCorpWorld } from './simulate';
import { Gi, Mi } from './spec';

/**
 * MusicCorp as Kubernetes objects at the lab's end: `manifests` is what the team keeps in git
 * (no status, HPA'd Deployments without `replicas`), `cluster` is what the API server would list
 * (status, uids, ReplicaSets, Pods with owner references, Nodes).
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

export function formatMemory(bytes: number): string {
  if (bytes % Gi === 0) return `${bytes / Gi}Gi`;
  return `${Math.round(bytes / Mi)}Mi`;
}

function resources(c: ContainerSpec): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const pair = (r: ContainerSpec['requests']): Record<string, string> => ({
    ...(r.cpu !== undefined ? { cpu: formatCpu(r.cpu) } : {}),
    ...(r.memory !== undefined ? { memory: formatMemory(r.memory) } : {}),
  });
  if (Object.keys(pair(c.requests)).length) out.requests = pair(c.requests);
  if (Object.keys(pair(c.limits)).length) out.limits = pair(c.limits);
  return out;
}

function podTemplate(spec: WorkloadSpec): Record<string, unknown> {
  return {
    metadata: { labels: spec.labels },
    spec: {
      containers: spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ...(c.port ? { ports: [{ name: c.port.name, containerPort: c.port.containerPort }] } : {}),
        resources: resources(c),
      })),
    },
  };
}

const iso = (unix: number): string => new Date(unix * 1000).toISOString().replace('.000Z', 'Z');

function workloadObject(run: WorkloadRun, live: boolean): KubeObject {
  const { spec } = run;
  const apiVersion = 'apps/v1';
  const metadata = { name: spec.name, namespace: spec.namespace, labels: spec.labels };
  const replicasAtEnd = run.replicas[stepOf(LAB_END)] ?? spec.replicas;
  const running = run.pods.filter((p) => alive(p, stepOf(LAB_END))).length;
  const base: KubeObject = { apiVersion, kind: spec.kind, metadata };
  const selector = { matchLabels: spec.selector };
  if (spec.kind === 'DaemonSet') {
    base.spec = { selector, template: podTemplate(spec) };
    if (live) base.status = { desiredNumberScheduled: run.pods.length, numberReady: running, currentNumberScheduled: running };
    return base;
  }
  const replicas = spec.hpa && !live ? {} : { replicas: spec.hpa ? replicasAtEnd : spec.replicas };
  base.spec = {
    ...replicas,
    selector,
    ...(spec.kind === 'StatefulSet' ? { serviceName: spec.service?.name ?? spec.name } : {}),
    template: podTemplate(spec),
  };
  if (live) base.status = { replicas: running, readyReplicas: running, availableReplicas: running, updatedReplicas: running };
  return base;
}

function liveMetadata(obj: KubeObject, uid: string, created: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, uid, resourceVersion: '48213399', creationTimestamp: iso(created) } };
}

function hpaObject(run: WorkloadRun, live: boolean): KubeObject | null {
  const { spec } = run;
  if (!spec.hpa) return null;
  const last = stepOf(LAB_END);
  const obj: KubeObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: spec.hpa.name, namespace: spec.namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: spec.kind, name: spec.name },
      minReplicas: spec.hpa.minReplicas,
      maxReplicas: spec.hpa.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.hpa.cpuUtilization } } }],
    },
  };
  if (live && run.hpa) {
    obj.status = {
      currentReplicas: run.hpa.replicas[last],
      desiredReplicas: run.hpa.desired[last],
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: Math.round(run.hpa.utilization[last] ?? 0) } } }],
      conditions: [
        { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
        { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
        { type: 'ScalingLimited', status: run.hpa.limited[last] ? 'True' : 'False', reason: run.hpa.limited[last] ? 'TooManyReplicas' : 'DesiredWithinRange' },
      ],
    };
  }
  return obj;
}

function pdbObject(spec: WorkloadSpec): KubeObject | null {
  if (!spec.pdb) return null;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: spec.pdb.name, namespace: spec.namespace },
    spec: {
      selector: { matchLabels: spec.pdb.selector },
      ...(spec.pdb.minAvailable !== undefined ? { minAvailable: spec.pdb.minAvailable } : {}),
      ...(spec.pdb.maxUnavailable !== undefined ? { maxUnavailable: spec.pdb.maxUnavailable } : {}),
    },
  };
}

function serviceObjects(spec: WorkloadSpec): KubeObject[] {
  if (!spec.service) return [];
  const metricsPorts = spec.containers
    .map((c) => c.port)
    .filter((p): p is NonNullable<ContainerSpec['port']> => p !== undefined && p.name === 'metrics')
    .map((p) => ({ name: 'metrics', port: p.containerPort, targetPort: p.containerPort }));
  const isPrometheus = spec.name.startsWith('prometheus-');
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: spec.service.name,
      namespace: spec.namespace,
      labels: isPrometheus
        ? { app: 'kube-prometheus-stack-prometheus', release: 'kube-prometheus-stack', 'self-monitor': 'true', 'app.kubernetes.io/part-of': 'kube-prometheus-stack' }
        : { 'app.kubernetes.io/name': spec.name },
    },
    spec: {
      selector: spec.selector,
      ports: [{ name: spec.service.portName, port: spec.service.port, targetPort: spec.service.port }, ...metricsPorts],
    },
  };
  if (!isPrometheus) return [service];
  // prometheus-operator's governing service, which discovery tools also look for.
  const operated: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'prometheus-operated', namespace: spec.namespace, labels: { 'operated-prometheus': 'true' } },
    spec: { clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'prometheus' }, ports: [{ name: 'web', port: 9090, targetPort: 'web' }] },
  };
  return [service, operated];
}

function podObject(run: WorkloadRun, pod: PodLife): KubeObject {
  const last = stepOf(LAB_END);
  const owner = pod.replicaSet
    ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: pod.replicaSet.name, uid: pod.replicaSet.uid, controller: true, blockOwnerDeletion: true }
    : { apiVersion: 'apps/v1', kind: run.spec.kind, name: run.spec.name, uid: `${run.spec.namespace}-${run.spec.name}-uid`, controller: true, blockOwnerDeletion: true };
  const labels = pod.replicaSet ? { ...run.spec.labels, 'pod-template-hash': pod.replicaSet.hash } : run.spec.labels;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: run.spec.namespace,
      uid: pod.uid,
      labels,
      ownerReferences: [owner],
      creationTimestamp: iso(pod.start === 0 ? LAB_START - 86400 : stepTime(pod.start)),
    },
    spec: { nodeName: pod.node.name, containers: (podTemplate(run.spec).spec as { containers: unknown[] }).containers },
    status: {
      phase: 'Running',
      podIP: pod.ip,
      hostIP: pod.node.ip,
      qosClass: 'Burstable',
      containerStatuses: pod.containers.map((c) => {
        const running = incarnationAt(c, last);
        const ended = c.incarnations.filter((inc) => inc.terminatedReason !== undefined);
        const previous = ended[ended.length - 1];
        return {
          name: c.spec.name,
          image: c.spec.image,
          ready: true,
          restartCount: c.incarnations.length - 1,
          containerID: `containerd://${running?.id ?? ''}`,
          state: { running: { startedAt: iso(running && running.start > 0 ? stepTime(running.start) : LAB_START - 86400) } },
          ...(previous ? { lastState: { terminated: { reason: previous.terminatedReason, exitCode: 137, finishedAt: iso(stepTime(previous.end)) } } } : {}),
        };
      }),
    },
  };
}

export interface FleetManifests {
  /** File name → objects: what a team keeps in git. */
  manifests: Map<string, KubeObject[]>;
  /** File name → objects: what the API server lists at the lab's end. */
  cluster: Map<string, KubeObject[]>;
}

export function musicCorpManifests(world: MusicCorpWorld): FleetManifests {
  const manifests = new Map<string, KubeObject[]>();
  const cluster = new Map<string, KubeObject[]>();
  const push = (map: Map<string, KubeObject[]>, file: string, ...objs: Array<KubeObject | null>): void => {
    const list = map.get(file) ?? [];
    for (const o of objs) if (o) list.push(o);
    map.set(file, list);
  };
  const last = stepOf(LAB_END);
  const namespaces = [...new Set(world.fleet.workloads.map((w) => w.spec.namespace))];
  for (const ns of namespaces) {
    const nsObject: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    push(manifests, `${ns}.yaml`, nsObject);
    push(cluster, `${ns}.yaml`, liveMetadata(nsObject, `ns-${ns}`, LAB_START - 90 * 86400));
  }
  for (const run of world.fleet.workloads) {
    const file = `${run.spec.namespace}.yaml`;
    const created = LAB_START - 30 * 86400;
    push(manifests, file, workloadObject(run, false), hpaObject(run, false), pdbObject(run.spec), ...serviceObjects(run.spec));
    push(
      cluster,
      file,
      liveMetadata(workloadObject(run, true), `${run.spec.namespace}-${run.spec.name}-uid`, created),
      ...[hpaObject(run, true), pdbObject(run.spec), ...serviceObjects(run.spec)].map((o) => (o ? liveMetadata(o, `${run.spec.namespace}-${o.kind}-${o.metadata.name}`, created) : null)),
    );
    for (const rs of run.replicaSets) {
      const active = rs.end > last;
      push(cluster, `${run.spec.namespace}-replicasets.yaml`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rs.name,
          namespace: run.spec.namespace,
          uid: rs.uid,
          labels: { ...run.spec.labels, 'pod-template-hash': rs.hash },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: run.spec.name, uid: `${run.spec.namespace}-${run.spec.name}-uid`, controller: true, blockOwnerDeletion: true }],
          creationTimestamp: iso(rs.start === 0 ? created : stepTime(rs.start)),
        },
        spec: { replicas: active ? (run.replicas[last] ?? 0) : 0, selector: { matchLabels: { ...run.spec.selector, 'pod-template-hash': rs.hash } }, template: podTemplate(run.spec) },
        status: { replicas: active ? run.pods.filter((p) => p.replicaSet === rs && alive(p, last)).length : 0 },
      });
    }
    for (const pod of run.pods.filter((p) => alive(p, last))) push(cluster, `${run.spec.namespace}-pods.yaml`, podObject(run, pod));
  }
  push(
    cluster,
    'nodes.yaml',
    ...world.fleet.nodes.map((node) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node.name,
        uid: `node-${node.ip}`,
        labels: { 'kubernetes.io/hostname': node.name, 'topology.kubernetes.io/zone': node.zone, 'node.kubernetes.io/instance-type': 'm6i.2xlarge' },
      },
      status: {
        capacity: { cpu: '8', memory: '32386524Ki', pods: '110' },
        allocatable: { cpu: formatCpu(node.cpu), memory: `${Math.round(node.memory / 1024)}Ki`, pods: '110' },
        addresses: [{ type: 'InternalIP', address: node.ip }],
      },
    })),
  );
  return { manifests, cluster };
}
