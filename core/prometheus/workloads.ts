import { KSM } from './families';
import { duration, escapeLabelValue, selector, type Matcher } from './promql';

/**
 * Pod → workload inside PromQL, so that aggregates come back per workload in one answer instead of
 * per pod (or per query per workload). Every expression here yields series labelled `namespace`,
 * `pod`, `workload`, `workload_type` with value 1.
 *
 * kube-state-metrics v2 (`kube_pod_owner{owner_kind, owner_name}`, `kube_replicaset_owner`): a
 * Deployment's pods are owned by ReplicaSets, which the Deployment owns. `last_over_time(…[lookback])`
 * keeps the pods that died during the window (rollouts, scale-downs); without it their history would
 * be dropped from every aggregate. Joins use only `namespace` and `pod`/`replicaset`: kube-state-metrics
 * series carry the scrape target's `container="kube-state-metrics"`, so joining on `container` fails.
 */
export function podWorkloadMap(lookbackSeconds: number, global: readonly Matcher[] = [], only?: WorkloadRef): string {
  const lb = duration(lookbackSeconds);
  // Narrowed to one workload for evidence queries a user can paste: its namespace, and its name as owner.
  const scope: Matcher[] = only ? [{ label: 'namespace', op: '=', value: only.namespace }] : [];
  const ownedBy: Matcher[] = only ? [{ label: 'owner_name', op: '=', value: only.workload }] : [];
  const podOwner = (kind: string, extra: readonly Matcher[]): string =>
    `last_over_time(${selector(KSM.podOwner, [{ label: 'owner_kind', op: '=~', value: kind }, ...scope, ...extra], global)}[${lb}])`;
  const replicaSetOwners = `last_over_time(${selector(KSM.replicaSetOwner, [{ label: 'owner_kind', op: '!~', value: '<none>|' }, ...scope, ...ownedBy], global)}[${lb}])`;
  const viaReplicaSet = `max by (namespace, pod, workload, workload_type) (
    max by (namespace, pod, replicaset) (label_replace(${podOwner('ReplicaSet', [])}, "replicaset", "$1", "owner_name", "(.+)"))
    * on (namespace, replicaset) group_left (workload, workload_type)
    max by (namespace, replicaset, workload, workload_type) (
      label_replace(label_replace(${replicaSetOwners}, "workload", "$1", "owner_name", "(.+)"), "workload_type", "$1", "owner_kind", "(.+)")
    )
  )`;
  const direct = `max by (namespace, pod, workload, workload_type) (
    label_replace(label_replace(${podOwner('StatefulSet|DaemonSet', ownedBy)}, "workload", "$1", "owner_name", "(.+)"), "workload_type", "$1", "owner_kind", "(.+)")
  )`;
  return `(${viaReplicaSet} or ${direct})`.replace(/\s+/g, ' ');
}

/**
 * Without kube-state-metrics: the workload from the pod's name, as the controllers name pods.
 * label_replace leaves a series alone when its regex does not match, so the most specific pattern
 * goes last: StatefulSet `name-0`, DaemonSet `name-x7k2p`, Deployment `name-5d4f8b9c7-x7k2p`.
 */
export function workloadFromPodName(expr: string): string {
  const suffix = '[bcdfghjklmnpqrstvwxz2456789]';
  let out = `label_replace(${expr}, "workload_type", "Pod", "", "")`;
  out = `label_replace(${out}, "workload", "$1", "pod", "(.+)")`;
  out = `label_replace(label_replace(${out}, "workload", "$1", "pod", "(.+)-[0-9]+"), "workload_type", "StatefulSet", "pod", ".+-[0-9]+")`;
  out = `label_replace(label_replace(${out}, "workload", "$1", "pod", "(.+)-${suffix}{5}"), "workload_type", "DaemonSet", "pod", ".+-${suffix}{5}")`;
  out = `label_replace(label_replace(${out}, "workload", "$1", "pod", "(.+)-${suffix}{6,10}-${suffix}{5}"), "workload_type", "Deployment", "pod", ".+-${suffix}{6,10}-${suffix}{5}")`;
  return out;
}

/**
 * OpenTelemetry pushed over OTLP carries only `job` and `instance` (service.instance.id); the pod is in
 * `target_info`'s resource attributes `k8s_namespace_name` / `k8s_pod_name`.
 */
export function targetInfoPods(lookbackSeconds: number, global: readonly Matcher[] = []): string {
  const info = `last_over_time(${selector('target_info', [{ label: 'k8s_pod_name', op: '!=', value: '' }], global)}[${duration(lookbackSeconds)}])`;
  return `max by (job, instance, namespace, pod) (label_replace(label_replace(${info}, "namespace", "$1", "k8s_namespace_name", "(.+)"), "pod", "$1", "k8s_pod_name", "(.+)"))`;
}

/** A workload as the aggregates name it: the labels `namespace`, `workload`, `workload_type`. */
export interface WorkloadRef {
  namespace: string;
  workload: string;
}

export interface WorkloadJoin {
  mapping: 'kube-state-metrics' | 'pod-name';
  lookbackSeconds: number;
  global: readonly Matcher[];
  /** Restricts the join to one workload (evidence queries). */
  only?: WorkloadRef;
}

/** Adds `workload` and `workload_type` to every series of `expr`, which must carry `namespace` and `pod`. */
export function attachWorkload(expr: string, join: WorkloadJoin): string {
  if (join.mapping === 'pod-name') {
    const named = workloadFromPodName(expr);
    return join.only ? `(${named}) and on (workload) label_replace(vector(1), "workload", "${escapeLabelValue(join.only.workload)}", "", "")` : named;
  }
  return `(${expr}) * on (namespace, pod) group_left (workload, workload_type) ${podWorkloadMap(join.lookbackSeconds, join.global, join.only)}`;
}

/** Adds `namespace` and `pod` from `target_info` to series that only have `job` and `instance`. */
export function attachPodFromTargetInfo(expr: string, join: WorkloadJoin): string {
  return `(${expr}) * on (job, instance) group_left (namespace, pod) ${targetInfoPods(join.lookbackSeconds, join.global)}`;
}
