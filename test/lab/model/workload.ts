import { STEPS } from './clock';
import type { Random } from './random';

/** Kubernetes shapes of the lab's fleet, in the units the report uses (cores, bytes). */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export interface ResourceAmounts {
  /** Cores. */
  cpu?: number;
  /** Bytes. */
  memory?: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  requests: ResourceAmounts;
  limits: ResourceAmounts;
  port?: { name: string; containerPort: number };
}

export interface HpaSpec {
  name: string;
  minReplicas: number;
  maxReplicas: number;
  /** Resource metric `cpu`, target type Utilization, in percent of the request. */
  cpuUtilization: number;
  scaleDownStabilizationSeconds?: number;
}

export interface PdbSpec {
  name: string;
  selector: Record<string, string>;
  minAvailable?: number;
  maxUnavailable?: number;
}

export interface WorkloadSpec {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  /** Pod template labels. */
  labels: Record<string, string>;
  selector: Record<string, string>;
  containers: ContainerSpec[];
  /** Static replica count (the HPA's starting point when there is one). */
  replicas: number;
  hpa?: HpaSpec;
  pdb?: PdbSpec;
  /** Steps at which the pod template changes, creating a new ReplicaSet. */
  rollouts?: number[];
  /** The Service in front of the pods; scrape jobs are named after it. */
  service?: { name: string; port: number; portName: string };
}

export interface Node {
  name: string;
  ip: string;
  zone: string;
  cpu: number;
  memory: number;
}

export interface ContainerIncarnation {
  /** Container runtime id; cAdvisor series change with it on every restart. */
  id: string;
  start: number;
  end: number;
  /** Why this incarnation ended, when it ended before the pod did (e.g. OOMKilled). */
  terminatedReason?: string;
}

export interface ContainerLife {
  spec: ContainerSpec;
  incarnations: ContainerIncarnation[];
}

export interface ReplicaSetLife {
  name: string;
  hash: string;
  uid: string;
  /** First step of this ReplicaSet and the step it was scaled to zero (STEPS if still active). */
  start: number;
  end: number;
}

export interface PodLife {
  workload: WorkloadSpec;
  name: string;
  uid: string;
  ip: string;
  node: Node;
  replicaSet?: ReplicaSetLife;
  /** Alive over steps [start, end). */
  start: number;
  end: number;
  /** Multiplier on this pod's share of the workload's load (load balancing is never perfect). */
  skew: number;
  containers: ContainerLife[];
}

export function alive(pod: PodLife, step: number): boolean {
  return step >= pod.start && step < pod.end;
}

function newContainer(spec: ContainerSpec, start: number, random: Random): ContainerLife {
  return { spec, incarnations: [{ id: random.hex(64), start, end: Number.POSITIVE_INFINITY }] };
}

function podIp(random: Random): string {
  return `10.42.${random.int(0, 15)}.${random.int(2, 254)}`;
}

/**
 * Turns a replica-count timeline into pods with lifetimes, as the ReplicaSet / StatefulSet /
 * DaemonSet controllers would: scale-down removes the newest pods, a rollout surges a new
 * ReplicaSet and retires the old one two minutes later.
 */
export function simulatePods(spec: WorkloadSpec, replicas: Int32Array, nodes: readonly Node[], random: Random): {
  pods: PodLife[];
  replicaSets: ReplicaSetLife[];
} {
  const pods: PodLife[] = [];
  const replicaSets: ReplicaSetLife[] = [];
  const makePod = (name: string, start: number, node: Node, replicaSet?: ReplicaSetLife): PodLife => {
    const pod: PodLife = {
      workload: spec,
      name,
      uid: random.uuid(),
      ip: podIp(random),
      node,
      start,
      end: STEPS,
      skew: 1 + 0.08 * random.normal(),
      containers: spec.containers.map((c) => newContainer(c, start, random)),
    };
    if (replicaSet) pod.replicaSet = replicaSet;
    pods.push(pod);
    return pod;
  };

  if (spec.kind === 'DaemonSet') {
    for (const node of nodes) makePod(`${spec.name}-${random.kubeSuffix(5)}`, 0, node);
    return finish(pods, replicaSets);
  }
  if (spec.kind === 'StatefulSet') {
    for (let ordinal = 0; ordinal < spec.replicas; ordinal++) {
      makePod(`${spec.name}-${ordinal}`, 0, nodes[(ordinal * 2 + 1) % nodes.length] as Node);
    }
    return finish(pods, replicaSets);
  }

  const newReplicaSet = (start: number): ReplicaSetLife => {
    const hash = random.kubeSuffix(10);
    const rs = { name: `${spec.name}-${hash}`, hash, uid: random.uuid(), start, end: STEPS };
    replicaSets.push(rs);
    return rs;
  };
  const rollouts = new Set(spec.rollouts ?? []);
  let current = newReplicaSet(0);
  let active: PodLife[] = [];
  const place = (): Node => random.pick(nodes);
  for (let step = 0; step < STEPS; step++) {
    const want = replicas[step] ?? spec.replicas;
    if (rollouts.has(step)) {
      const retired = active;
      const previous = current;
      current = newReplicaSet(step);
      previous.end = Math.min(STEPS, step + 2);
      for (const pod of retired) pod.end = Math.min(STEPS, step + 2);
      active = [];
    }
    while (active.length < want) active.push(makePod(`${current.name}-${random.kubeSuffix(5)}`, step, place(), current));
    while (active.length > want) {
      const newest = active.pop() as PodLife;
      newest.end = step;
    }
  }
  return finish(pods, replicaSets);
}

function finish(pods: PodLife[], replicaSets: ReplicaSetLife[]): { pods: PodLife[]; replicaSets: ReplicaSetLife[] } {
  for (const pod of pods) {
    for (const c of pod.containers) {
      const last = c.incarnations[c.incarnations.length - 1];
      if (last) last.end = pod.end;
    }
  }
  return { pods, replicaSets };
}

/** Ends the running incarnation at `step` with `reason` and starts a new one (a container restart). */
export function restartContainer(container: ContainerLife, step: number, reason: string, random: Random): void {
  const running = container.incarnations[container.incarnations.length - 1];
  if (!running || step <= running.start || step >= running.end) return;
  const end = running.end;
  running.end = step;
  running.terminatedReason = reason;
  container.incarnations.push({ id: random.hex(64), start: step, end });
}

export function incarnationAt(container: ContainerLife, step: number): ContainerIncarnation | undefined {
  return container.incarnations.find((c) => step >= c.start && step < c.end);
}
