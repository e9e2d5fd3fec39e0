import type { HpaTimeline } from './hpa';
import type { UsageBook } from './usage';
import type { Node, PodLife, ReplicaSetLife, WorkloadSpec } from './workload';

/** One workload after simulation: its pods over time and, when autoscaled, the HPA's timeline. */
export interface WorkloadRun {
  spec: WorkloadSpec;
  pods: PodLife[];
  replicaSets: ReplicaSetLife[];
  /** spec.replicas over time (the HPA writes it when there is one). */
  replicas: Int32Array;
  hpa?: HpaTimeline;
}

export interface FleetRun {
  nodes: Node[];
  workloads: WorkloadRun[];
  usage: UsageBook;
}

export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function findWorkload(fleet: FleetRun, namespace: string, name: string): WorkloadRun {
  const run = fleet.workloads.find((w) => w.spec.namespace === namespace && w.spec.name === name);
  if (!run) throw new Error(`no workload ${namespace}/${name} in the lab fleet`);
  return run;
}
