import { STEPS } from '../model/clock';
import { findWorkload, selectorMatches, type FleetRun, type WorkloadRun } from '../model/fleet';
import type { Random } from '../model/random';
import { scrapeTarget, type Family, type Labels, type ScrapeTarget, type SeriesSet } from '../model/series-set';
import type { PodLife } from '../model/workload';
import { podTargetLabels } from './common';

/**
 * kube-state-metrics v2 as deployed by kube-prometheus-stack: scraped with honor_labels, so its own
 * `namespace`/`pod`/`container` labels win and the target's `container="kube-state-metrics"` lands on
 * every series that has no container label of its own (kube_pod_owner, kube_deployment_*…). Joins
 * `on(namespace, pod, container)` against cAdvisor therefore fail for those series — as in real clusters.
 */
const g = (name: string, help: string): Family => ({ name, type: 'gauge', help });
const c = (name: string, help: string): Family => ({ name, type: 'counter', help });

const F = {
  podInfo: g('kube_pod_info', 'Information about pod.'),
  podOwner: g('kube_pod_owner', 'Information about the Pod\'s owner.'),
  podPhase: g('kube_pod_status_phase', 'The pods current phase.'),
  containerInfo: g('kube_pod_container_info', 'Information about a container in a pod.'),
  requests: g('kube_pod_container_resource_requests', 'The number of requested request resource by a container.'),
  limits: g('kube_pod_container_resource_limits', 'The number of requested limit resource by a container.'),
  restarts: c('kube_pod_container_status_restarts', 'The number of container restarts per container.'),
  lastTerminated: g('kube_pod_container_status_last_terminated_reason', 'Describes the last reason the container was in terminated state.'),
  rsOwner: g('kube_replicaset_owner', 'Information about the ReplicaSet\'s owner.'),
  rsSpecReplicas: g('kube_replicaset_spec_replicas', 'Number of desired pods for a ReplicaSet.'),
  deploySpecReplicas: g('kube_deployment_spec_replicas', 'Number of desired pods for a deployment.'),
  deployStatusReplicas: g('kube_deployment_status_replicas', 'The number of replicas per deployment.'),
  deployAvailable: g('kube_deployment_status_replicas_available', 'The number of available replicas per deployment.'),
  stsReplicas: g('kube_statefulset_replicas', 'Number of desired pods for a StatefulSet.'),
  stsReady: g('kube_statefulset_status_replicas_ready', 'The number of ready replicas per StatefulSet.'),
  dsDesired: g('kube_daemonset_status_desired_number_scheduled', 'The number of nodes that should be running the daemon pod.'),
  dsReady: g('kube_daemonset_status_number_ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
  hpaInfo: g('kube_horizontalpodautoscaler_info', 'Information about this autoscaler.'),
  hpaMin: g('kube_horizontalpodautoscaler_spec_min_replicas', 'Lower limit for the number of pods that can be set by the autoscaler, default 1.'),
  hpaMax: g('kube_horizontalpodautoscaler_spec_max_replicas', 'Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.'),
  hpaCurrent: g('kube_horizontalpodautoscaler_status_current_replicas', 'Current number of replicas of pods managed by this autoscaler.'),
  hpaDesired: g('kube_horizontalpodautoscaler_status_desired_replicas', 'Desired number of replicas of pods managed by this autoscaler.'),
  hpaSpecTarget: g('kube_horizontalpodautoscaler_spec_target_metric', 'The metric specifications used by this autoscaler when calculating the desired replica count.'),
  hpaStatusTarget: g('kube_horizontalpodautoscaler_status_target_metric', 'The current metric status used by this autoscaler when calculating the desired replica count.'),
  hpaCondition: g('kube_horizontalpodautoscaler_status_condition', 'The condition of this autoscaler.'),
  pdbCurrentHealthy: g('kube_poddisruptionbudget_status_current_healthy', 'Current number of healthy pods'),
  pdbDesiredHealthy: g('kube_poddisruptionbudget_status_desired_healthy', 'Minimum desired number of healthy pods'),
  pdbExpected: g('kube_poddisruptionbudget_status_expected_pods', 'Total number of pods counted by this disruption budget'),
  pdbAllowed: g('kube_poddisruptionbudget_status_pod_disruptions_allowed', 'Number of pod disruptions that are currently allowed'),
  nodeInfo: g('kube_node_info', 'Information about a cluster node.'),
  nodeAllocatable: g('kube_node_status_allocatable', 'The allocatable for different resources of a node that are available for scheduling.'),
};

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

function over(start: number, end: number, value: (i: number) => number): Float64Array {
  const out = new Float64Array(STEPS).fill(Number.NaN);
  for (let i = Math.max(0, start); i < Math.min(STEPS, end); i++) out[i] = value(i);
  return out;
}

const always = (value: (i: number) => number): Float64Array => over(0, STEPS, value);

function countAlive(pods: readonly PodLife[], step: number): number {
  let n = 0;
  for (const p of pods) if (step >= p.start && step < p.end) n++;
  return n;
}

export function emitKubeStateMetrics(set: SeriesSet, fleet: FleetRun, random: Random): void {
  const ksm = findWorkload(fleet, 'monitoring', 'kube-state-metrics').pods[0];
  if (!ksm) throw new Error('the lab fleet needs a kube-state-metrics pod');
  const target = scrapeTarget(
    { ...podTargetLabels(ksm, 'kube-state-metrics', 8080, 'kube-state-metrics', 'http'), service: 'kube-prometheus-stack-kube-state-metrics' },
    random,
  );
  for (const run of fleet.workloads) {
    for (const pod of run.pods) emitPod(set, target, run, pod);
    emitController(set, target, run);
    if (run.hpa && run.spec.hpa) emitHpa(set, target, run);
  }
  emitPdbs(set, target, fleet);
  for (const node of fleet.nodes) {
    set.add(F.nodeInfo, 'kube_node_info', {
      node: node.name,
      internal_ip: node.ip,
      kernel_version: '6.1.0-27-cloud-amd64',
      os_image: 'Debian GNU/Linux 12 (bookworm)',
      container_runtime_version: 'containerd://1.7.22',
      kubelet_version: 'v1.31.4',
      kubeproxy_version: 'deprecated',
      provider_id: `aws:///${node.zone}/i-0${random.hex(16)}`,
      system_uuid: random.uuid(),
    }, always(() => 1), target);
    set.add(F.nodeAllocatable, 'kube_node_status_allocatable', { node: node.name, resource: 'cpu', unit: 'core' }, always(() => node.cpu), target);
    set.add(F.nodeAllocatable, 'kube_node_status_allocatable', { node: node.name, resource: 'memory', unit: 'byte' }, always(() => node.memory), target);
    set.add(F.nodeAllocatable, 'kube_node_status_allocatable', { node: node.name, resource: 'pods', unit: 'integer' }, always(() => 110), target);
  }
}

function ownerOf(run: WorkloadRun, pod: PodLife): { kind: string; name: string } {
  if (pod.replicaSet) return { kind: 'ReplicaSet', name: pod.replicaSet.name };
  return { kind: run.spec.kind, name: run.spec.name };
}

function emitPod(set: SeriesSet, target: ScrapeTarget, run: WorkloadRun, pod: PodLife): void {
  const id: Labels = { namespace: run.spec.namespace, pod: pod.name, uid: pod.uid };
  const owner = ownerOf(run, pod);
  const life = (value: (i: number) => number): Float64Array => over(pod.start, pod.end, value);
  set.add(F.podInfo, 'kube_pod_info', {
    ...id,
    host_ip: pod.node.ip,
    pod_ip: pod.ip,
    node: pod.node.name,
    created_by_kind: owner.kind,
    created_by_name: owner.name,
    priority_class: '',
    host_network: 'false',
  }, life(() => 1), target);
  set.add(F.podOwner, 'kube_pod_owner', { ...id, owner_kind: owner.kind, owner_name: owner.name, owner_is_controller: 'true' }, life(() => 1), target);
  for (const phase of PHASES) {
    // A new pod spends its first minute Pending while the image starts.
    set.add(F.podPhase, 'kube_pod_status_phase', { ...id, phase }, life((i) => {
      const pending = pod.start > 0 && i === pod.start;
      return (phase === 'Pending' && pending) || (phase === 'Running' && !pending) ? 1 : 0;
    }), target);
  }
  for (const container of pod.containers) {
    const cl: Labels = { ...id, container: container.spec.name };
    for (const inc of container.incarnations) {
      set.add(F.containerInfo, 'kube_pod_container_info', {
        ...cl,
        image_spec: container.spec.image,
        image: container.spec.image,
        image_id: `${container.spec.image.split(':')[0]}@sha256:${inc.id}`,
        container_id: `containerd://${inc.id}`,
      }, over(inc.start, inc.end, () => 1), target);
    }
    const { requests, limits } = container.spec;
    const node = pod.node.name;
    if (requests.cpu !== undefined) set.add(F.requests, 'kube_pod_container_resource_requests', { ...cl, node, resource: 'cpu', unit: 'core' }, life(() => requests.cpu as number), target);
    if (requests.memory !== undefined) set.add(F.requests, 'kube_pod_container_resource_requests', { ...cl, node, resource: 'memory', unit: 'byte' }, life(() => requests.memory as number), target);
    if (limits.cpu !== undefined) set.add(F.limits, 'kube_pod_container_resource_limits', { ...cl, node, resource: 'cpu', unit: 'core' }, life(() => limits.cpu as number), target);
    if (limits.memory !== undefined) set.add(F.limits, 'kube_pod_container_resource_limits', { ...cl, node, resource: 'memory', unit: 'byte' }, life(() => limits.memory as number), target);
    const restartSteps = container.incarnations.slice(1).map((inc) => inc.start);
    set.add(F.restarts, 'kube_pod_container_status_restarts_total', cl, life((i) => restartSteps.filter((s) => s <= i).length), target);
    // One-shot gauge: only the reason of the LAST termination, present from the first one on.
    const terminations = container.incarnations.filter((inc) => inc.terminatedReason !== undefined);
    for (const reason of new Set(terminations.map((t) => t.terminatedReason as string))) {
      set.add(F.lastTerminated, 'kube_pod_container_status_last_terminated_reason', { ...cl, reason }, life((i) => {
        const last = [...terminations].reverse().find((t) => t.end <= i);
        return last === undefined ? Number.NaN : last.terminatedReason === reason ? 1 : 0;
      }), target);
    }
  }
}

function emitController(set: SeriesSet, target: ScrapeTarget, run: WorkloadRun): void {
  const { spec } = run;
  const ns = spec.namespace;
  const desired = (i: number): number => run.replicas[i] ?? spec.replicas;
  const running = (i: number): number => countAlive(run.pods, i);
  switch (spec.kind) {
    case 'Deployment': {
      const dl: Labels = { namespace: ns, deployment: spec.name };
      set.add(F.deploySpecReplicas, 'kube_deployment_spec_replicas', dl, always(desired), target);
      set.add(F.deployStatusReplicas, 'kube_deployment_status_replicas', dl, always(running), target);
      set.add(F.deployAvailable, 'kube_deployment_status_replicas_available', dl, always((i) => Math.min(running(i), desired(i))), target);
      for (const rs of run.replicaSets) {
        const rl: Labels = { namespace: ns, replicaset: rs.name };
        // Old ReplicaSets stay (revisionHistoryLimit) with zero replicas.
        set.add(F.rsOwner, 'kube_replicaset_owner', { ...rl, owner_kind: 'Deployment', owner_name: spec.name, owner_is_controller: 'true' }, over(rs.start, STEPS, () => 1), target);
        set.add(F.rsSpecReplicas, 'kube_replicaset_spec_replicas', rl, over(rs.start, STEPS, (i) => (i < rs.end ? desired(i) : 0)), target);
      }
      break;
    }
    case 'StatefulSet': {
      const sl: Labels = { namespace: ns, statefulset: spec.name };
      set.add(F.stsReplicas, 'kube_statefulset_replicas', sl, always(desired), target);
      set.add(F.stsReady, 'kube_statefulset_status_replicas_ready', sl, always(running), target);
      break;
    }
    case 'DaemonSet': {
      const dl: Labels = { namespace: ns, daemonset: spec.name };
      set.add(F.dsDesired, 'kube_daemonset_status_desired_number_scheduled', dl, always(() => run.pods.length), target);
      set.add(F.dsReady, 'kube_daemonset_status_number_ready', dl, always(running), target);
      break;
    }
  }
}

function emitHpa(set: SeriesSet, target: ScrapeTarget, run: WorkloadRun): void {
  const hpa = run.spec.hpa;
  const timeline = run.hpa;
  if (!hpa || !timeline) return;
  const hl: Labels = { namespace: run.spec.namespace, horizontalpodautoscaler: hpa.name };
  set.add(F.hpaInfo, 'kube_horizontalpodautoscaler_info', { ...hl, scaletargetref_api_version: 'apps/v1', scaletargetref_kind: run.spec.kind, scaletargetref_name: run.spec.name }, always(() => 1), target);
  set.add(F.hpaMin, 'kube_horizontalpodautoscaler_spec_min_replicas', hl, always(() => hpa.minReplicas), target);
  set.add(F.hpaMax, 'kube_horizontalpodautoscaler_spec_max_replicas', hl, always(() => hpa.maxReplicas), target);
  set.add(F.hpaCurrent, 'kube_horizontalpodautoscaler_status_current_replicas', hl, always((i) => timeline.replicas[i] ?? 0), target);
  set.add(F.hpaDesired, 'kube_horizontalpodautoscaler_status_desired_replicas', hl, always((i) => timeline.desired[i] ?? 0), target);
  const metric: Labels = { ...hl, metric_name: 'cpu', metric_target_type: 'utilization' };
  set.add(F.hpaSpecTarget, 'kube_horizontalpodautoscaler_spec_target_metric', metric, always(() => hpa.cpuUtilization), target);
  set.add(F.hpaStatusTarget, 'kube_horizontalpodautoscaler_status_target_metric', metric, always((i) => Math.round(timeline.utilization[i] ?? 0)), target);
  const conditions: Record<string, (i: number) => boolean> = {
    AbleToScale: () => true,
    ScalingActive: () => true,
    ScalingLimited: (i) => (timeline.limited[i] ?? 0) === 1,
  };
  for (const [condition, isTrue] of Object.entries(conditions)) {
    for (const status of ['true', 'false', 'unknown']) {
      set.add(F.hpaCondition, 'kube_horizontalpodautoscaler_status_condition', { ...hl, condition, status }, always((i) => {
        const value = isTrue(i) ? 'true' : 'false';
        return value === status ? 1 : 0;
      }), target);
    }
  }
}

function emitPdbs(set: SeriesSet, target: ScrapeTarget, fleet: FleetRun): void {
  for (const run of fleet.workloads) {
    const pdb = run.spec.pdb;
    if (!pdb) continue;
    // A PDB counts every pod in its namespace whose labels match — not the workload it was meant for.
    const covered = fleet.workloads
      .filter((w) => w.spec.namespace === run.spec.namespace && selectorMatches(pdb.selector, w.spec.labels))
      .flatMap((w) => w.pods);
    const expected = (i: number): number => countAlive(covered, i);
    const desiredHealthy = (i: number): number =>
      pdb.minAvailable !== undefined ? pdb.minAvailable : Math.max(0, expected(i) - (pdb.maxUnavailable ?? 0));
    const pl: Labels = { namespace: run.spec.namespace, poddisruptionbudget: pdb.name };
    set.add(F.pdbExpected, 'kube_poddisruptionbudget_status_expected_pods', pl, always(expected), target);
    set.add(F.pdbCurrentHealthy, 'kube_poddisruptionbudget_status_current_healthy', pl, always(expected), target);
    set.add(F.pdbDesiredHealthy, 'kube_poddisruptionbudget_status_desired_healthy', pl, always(desiredHealthy), target);
    set.add(F.pdbAllowed, 'kube_poddisruptionbudget_status_pod_disruptions_allowed', pl, always((i) => Math.max(0, expected(i) - desiredHealthy(i))), target);
  }
}
