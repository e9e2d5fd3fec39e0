/**
 * Turns Kubernetes objects (typed with `kubernetes-models`, in the API's JSON shape) into a `FleetSnapshot`.
 * Both readers end here — the API server reader and the manifest folder reader — which is what makes their
 * snapshots identical for the same objects.
 */
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler as IHorizontalPodAutoscalerV1 } from 'kubernetes-models/autoscaling/v1/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IHPAScalingRules } from 'kubernetes-models/autoscaling/v2/HPAScalingRules';
import type { IMetricSpec } from 'kubernetes-models/autoscaling/v2/MetricSpec';
import type { IMetricTarget } from 'kubernetes-models/autoscaling/v2/MetricTarget';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type {
  ContainerResources,
  DisruptionBound,
  FleetSnapshot,
  HpaInfo,
  HpaMetric,
  HpaMetricTarget,
  HpaScalingRules,
  KubeResource,
  NodeInfo,
  ObjectRef,
  Origin,
  PdbInfo,
  PodInfo,
  ResourceValues,
  ServiceInfo,
  Workload,
  WorkloadKind,
} from './model';
import { parseQuantity } from './quantity';
import { labelSelectorProblems, matchesLabelSelector, type LabelSelector } from './selectors';

export interface KubeObjects {
  deployments: IDeployment[];
  statefulSets: IStatefulSet[];
  daemonSets: IDaemonSet[];
  replicaSets: IReplicaSet[];
  hpas: Array<IHorizontalPodAutoscaler | IHorizontalPodAutoscalerV1>;
  pdbs: IPodDisruptionBudget[];
  pods: IPod[];
  nodes: INode[];
  services: IService[];
}

export interface SnapshotInput {
  source: FleetSnapshot['source'];
  location: string;
  namespace: string | null;
  serverVersion: string | null;
  objects: KubeObjects;
  /** Where each manifest object came from; empty for a cluster. */
  origins: ReadonlyMap<object, Origin>;
  /** How warnings name an origin ("apps/api.yaml:12"); file and line by default. */
  originLabel?: (origin: Origin) => string;
  unreadable: KubeResource[];
  warnings: string[];
}

/** A namespaced object without `metadata.namespace` lands in "default", as `kubectl apply` would put it. */
const DEFAULT_NAMESPACE = 'default';

/** The API server's default target when an HPA lists no metrics. */
const DEFAULT_CPU_UTILIZATION = 0.8;

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; uid?: string; controller?: boolean }>;
}

export function buildSnapshot(input: SnapshotInput): FleetSnapshot {
  const warnings = [...input.warnings];
  const inScope = <T extends { metadata?: Meta }>(objects: T[]): T[] =>
    input.namespace === null ? objects : objects.filter((o) => namespaceOf(o.metadata) === input.namespace);
  const origin = (object: object): Origin | null => input.origins.get(object) ?? null;
  const label = input.originLabel ?? ((o: Origin): string => `${o.file}:${o.line}`);
  // "Deployment shop/api", prefixed with the file and line when the object came from one.
  const what = (object: { kind: string; metadata?: Meta }): string => {
    const from = origin(object);
    const name = `${object.kind} ${namespaceOf(object.metadata)}/${object.metadata?.name ?? '(unnamed)'}`;
    return from ? `${label(from)}: ${name}` : name;
  };
  const { objects } = input;

  const hpas = inScope(objects.hpas).map((h) => toHpa(h, what(h), origin(h), warnings));
  const pdbs = inScope(objects.pdbs).map((p) => toPdb(p, what(p), origin(p), warnings));
  const services = inScope(objects.services).map((s) => toService(s, origin(s)));
  const workloads = [
    ...inScope(objects.deployments).map((d) => toWorkload('Deployment', d, what(d), origin(d), warnings)),
    ...inScope(objects.statefulSets).map((s) => toWorkload('StatefulSet', s, what(s), origin(s), warnings)),
    ...inScope(objects.daemonSets).map((d) => toWorkload('DaemonSet', d, what(d), origin(d), warnings)),
  ].map((w) => linkWorkload(w, hpas, pdbs, services));
  const pods = toPods(inScope(objects.pods), inScope(objects.replicaSets), what, warnings);

  return {
    source: input.source,
    location: input.location,
    namespace: input.namespace,
    serverVersion: input.serverVersion,
    workloads: sortByName(workloads),
    hpas: sortByName(hpas),
    pdbs: sortByName(pdbs),
    pods: sortByName(pods),
    nodes: objects.nodes.map(toNode).sort((a, b) => a.name.localeCompare(b.name)),
    services: sortByName(services),
    unreadable: input.unreadable,
    warnings,
  };
}

function sortByName<T extends { namespace: string; name: string }>(items: T[]): T[] {
  return items.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

function namespaceOf(meta: Meta | undefined): string {
  return meta?.namespace ?? DEFAULT_NAMESPACE;
}

function normaliseSelector(selector: LabelSelector): LabelSelector {
  return {
    matchLabels: { ...(selector.matchLabels ?? {}) },
    matchExpressions: (selector.matchExpressions ?? []).map((r) => ({
      key: r.key,
      operator: r.operator,
      ...(r.values ? { values: [...r.values] } : {}),
    })),
  };
}

function quantityOrWarn(
  value: string | number | undefined,
  what: string,
  warnings: string[],
): number | null {
  if (value === undefined) return null;
  const parsed = parseQuantity(value);
  if (parsed === null) warnings.push(`${what}: "${value}" is not a Kubernetes quantity; it is ignored.`);
  return parsed;
}

function resourceValues(
  values: Record<string, string | number> | undefined,
  what: string,
  warnings: string[],
): ResourceValues {
  return {
    cpu: quantityOrWarn(values?.cpu, `${what} cpu`, warnings),
    memory: quantityOrWarn(values?.memory, `${what} memory`, warnings),
  };
}

function toContainers(spec: IPodSpec | undefined, owner: string, warnings: string[]): ContainerResources[] {
  const sidecars = (spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [
    ...(spec?.containers ?? []).map((c) => ({ container: c, sidecar: false })),
    ...sidecars.map((c) => ({ container: c, sidecar: true })),
  ].map(({ container, sidecar }) => {
    const what = `${owner} container ${container.name}`;
    return {
      name: container.name,
      image: container.image ?? null,
      requests: resourceValues(container.resources?.requests, `${what} request`, warnings),
      limits: resourceValues(container.resources?.limits, `${what} limit`, warnings),
      sidecar,
    };
  });
}

function toWorkload(
  kind: WorkloadKind,
  object: IDeployment | IStatefulSet | IDaemonSet,
  what: string,
  origin: Origin | null,
  warnings: string[],
): Workload {
  const meta = object.metadata;
  const status = object.status;
  let replicas: number | null = null;
  let readyReplicas: number | null = null;
  if (object.kind === 'DaemonSet') {
    // The API server omits zero counts from status, so a present status with no count means 0.
    readyReplicas = status ? (object.status?.numberReady ?? 0) : null;
  } else {
    replicas = object.spec?.replicas ?? 1;
    readyReplicas = status ? (object.status?.readyReplicas ?? 0) : null;
  }
  const template = object.spec?.template;
  return {
    kind,
    namespace: namespaceOf(meta),
    name: meta?.name ?? '',
    uid: meta?.uid ?? null,
    labels: { ...(meta?.labels ?? {}) },
    replicas,
    readyReplicas,
    selector: normaliseSelector(object.spec?.selector ?? {}),
    podTemplateLabels: { ...(template?.metadata?.labels ?? {}) },
    containers: toContainers(template?.spec, what, warnings),
    hpas: [],
    pdbs: [],
    services: [],
    origin,
  };
}

function linkWorkload(
  workload: Workload,
  hpas: HpaInfo[],
  pdbs: PdbInfo[],
  services: ServiceInfo[],
): Workload {
  const sameNamespace = <T extends { namespace: string }>(items: T[]): T[] =>
    items.filter((i) => i.namespace === workload.namespace);
  return {
    ...workload,
    hpas: sameNamespace(hpas)
      .filter((h) => h.target.kind === workload.kind && h.target.name === workload.name)
      .map((h) => h.name)
      .sort(),
    pdbs: sameNamespace(pdbs)
      .filter((p) => matchesLabelSelector(p.selector, workload.podTemplateLabels))
      .map((p) => p.name)
      .sort(),
    // A Service without a selector has hand-managed endpoints: it selects no pods.
    services: sameNamespace(services)
      .filter((s) => s.selector !== null && matchesLabelSelector({ matchLabels: { ...s.selector } }, workload.podTemplateLabels))
      .map((s) => s.name)
      .sort(),
  };
}

function toMetricTarget(target: IMetricTarget | undefined, what: string, warnings: string[]): HpaMetricTarget | null {
  switch (target?.type) {
    case 'Utilization':
      if (typeof target.averageUtilization === 'number') {
        return { type: 'Utilization', averageUtilization: target.averageUtilization / 100 };
      }
      break;
    case 'AverageValue': {
      const value = target.averageValue === undefined ? null : parseQuantity(target.averageValue);
      if (value !== null) return { type: 'AverageValue', averageValue: value, raw: String(target.averageValue) };
      break;
    }
    case 'Value': {
      const value = target.value === undefined ? null : parseQuantity(target.value);
      if (value !== null) return { type: 'Value', value, raw: String(target.value) };
      break;
    }
  }
  warnings.push(`${what}: the target ${JSON.stringify(target ?? null)} is not usable; the metric is ignored.`);
  return null;
}

function toMetric(spec: IMetricSpec, what: string, warnings: string[]): HpaMetric | null {
  const selector = (s: LabelSelector | undefined): LabelSelector | null => (s ? normaliseSelector(s) : null);
  const missing = (field: string): null => {
    warnings.push(`${what}: a ${spec.type} metric without "${field}" is ignored.`);
    return null;
  };
  switch (spec.type) {
    case 'Resource': {
      if (!spec.resource) return missing('resource');
      const target = toMetricTarget(spec.resource.target, what, warnings);
      return target && { type: 'Resource', resource: spec.resource.name, target };
    }
    case 'ContainerResource': {
      const source = spec.containerResource;
      if (!source) return missing('containerResource');
      const target = toMetricTarget(source.target, what, warnings);
      return target && { type: 'ContainerResource', resource: source.name, container: source.container, target };
    }
    case 'Pods': {
      const source = spec.pods;
      if (!source) return missing('pods');
      const target = toMetricTarget(source.target, what, warnings);
      return target && { type: 'Pods', metricName: source.metric.name, selector: selector(source.metric.selector), target };
    }
    case 'Object': {
      const source = spec.object;
      if (!source) return missing('object');
      const target = toMetricTarget(source.target, what, warnings);
      const { apiVersion, kind, name } = source.describedObject;
      return (
        target && {
          type: 'Object',
          metricName: source.metric.name,
          selector: selector(source.metric.selector),
          describedObject: { apiVersion: apiVersion ?? null, kind, name },
          target,
        }
      );
    }
    case 'External': {
      const source = spec.external;
      if (!source) return missing('external');
      const target = toMetricTarget(source.target, what, warnings);
      return target && { type: 'External', metricName: source.metric.name, selector: selector(source.metric.selector), target };
    }
  }
  warnings.push(`${what}: metric type "${spec.type}" is not known; it is ignored.`);
  return null;
}

function toScalingRules(rules: IHPAScalingRules | undefined): HpaScalingRules | null {
  if (!rules) return null;
  const selectPolicy = rules.selectPolicy;
  return {
    stabilizationWindowSeconds: rules.stabilizationWindowSeconds ?? null,
    selectPolicy: selectPolicy === 'Max' || selectPolicy === 'Min' || selectPolicy === 'Disabled' ? selectPolicy : null,
    policies: (rules.policies ?? []).map((p) =>
      p.type === 'Percent'
        ? { type: 'Percent' as const, ratio: p.value / 100, periodSeconds: p.periodSeconds }
        : { type: 'Pods' as const, pods: p.value, periodSeconds: p.periodSeconds },
    ),
  };
}

function toHpa(
  object: IHorizontalPodAutoscaler | IHorizontalPodAutoscalerV1,
  what: string,
  origin: Origin | null,
  warnings: string[],
): HpaInfo {
  const meta = object.metadata;
  const ref = object.spec?.scaleTargetRef;
  const common = {
    namespace: namespaceOf(meta),
    name: meta?.name ?? '',
    uid: meta?.uid ?? null,
    target: { apiVersion: ref?.apiVersion ?? null, kind: ref?.kind ?? '', name: ref?.name ?? '' },
    minReplicas: object.spec?.minReplicas ?? 1,
    maxReplicas: object.spec?.maxReplicas ?? 0,
    currentReplicas: object.status?.currentReplicas ?? null,
    desiredReplicas: object.status?.desiredReplicas ?? null,
    apiVersion: object.apiVersion,
    origin,
  };
  if (object.apiVersion === 'autoscaling/v1') {
    // autoscaling/v1 knows one metric, CPU utilisation, with the same 80 % default as v2.
    const percent = object.spec?.targetCPUUtilizationPercentage;
    return {
      ...common,
      metrics: [
        {
          type: 'Resource',
          resource: 'cpu',
          target: { type: 'Utilization', averageUtilization: percent === undefined ? DEFAULT_CPU_UTILIZATION : percent / 100 },
        },
      ],
      behavior: { scaleUp: null, scaleDown: null },
    };
  }
  const specs = object.spec?.metrics ?? [];
  const metrics = specs.flatMap((m) => toMetric(m, what, warnings) ?? []);
  return {
    ...common,
    metrics:
      specs.length === 0
        ? [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } }]
        : metrics,
    behavior: {
      scaleUp: toScalingRules(object.spec?.behavior?.scaleUp),
      scaleDown: toScalingRules(object.spec?.behavior?.scaleDown),
    },
  };
}

function toBound(value: string | number | undefined, what: string, warnings: string[]): DisruptionBound | null {
  if (value === undefined) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { type: 'count', value };
  const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  if (percent) return { type: 'ratio', value: Number(percent[1]) / 100 };
  warnings.push(`${what}: "${value}" is neither a pod count nor a percentage; it is ignored.`);
  return null;
}

function toPdb(object: IPodDisruptionBudget, what: string, origin: Origin | null, warnings: string[]): PdbInfo {
  const meta = object.metadata;
  const selector = object.spec?.selector;
  const problems = selector ? labelSelectorProblems(selector) : [];
  if (problems.length > 0) {
    warnings.push(`${what}: its selector is invalid (${problems.join('; ')}), so it protects no pods.`);
  }
  return {
    namespace: namespaceOf(meta),
    name: meta?.name ?? '',
    uid: meta?.uid ?? null,
    selector: selector ? normaliseSelector(selector) : null,
    minAvailable: toBound(object.spec?.minAvailable, `${what} minAvailable`, warnings),
    maxUnavailable: toBound(object.spec?.maxUnavailable, `${what} maxUnavailable`, warnings),
    disruptionsAllowed: object.status?.disruptionsAllowed ?? null,
    currentHealthy: object.status?.currentHealthy ?? null,
    desiredHealthy: object.status?.desiredHealthy ?? null,
    expectedPods: object.status?.expectedPods ?? null,
    origin,
  };
}

function toService(object: IService, origin: Origin | null): ServiceInfo {
  const meta = object.metadata;
  const selector = object.spec?.selector;
  return {
    namespace: namespaceOf(meta),
    name: meta?.name ?? '',
    labels: { ...(meta?.labels ?? {}) },
    type: object.spec?.type ?? 'ClusterIP',
    selector: selector && Object.keys(selector).length > 0 ? { ...selector } : null,
    ports: (object.spec?.ports ?? []).map((p) => ({
      name: p.name ?? null,
      port: p.port,
      targetPort: p.targetPort ?? null,
      protocol: p.protocol ?? 'TCP',
      appProtocol: p.appProtocol ?? null,
    })),
    origin,
  };
}

function toNode(object: INode): NodeInfo {
  const amounts = (values: Record<string, string | number> | undefined): NodeInfo['allocatable'] => ({
    cpu: values?.cpu === undefined ? null : parseQuantity(values.cpu),
    memory: values?.memory === undefined ? null : parseQuantity(values.memory),
    pods: values?.pods === undefined ? null : parseQuantity(values.pods),
  });
  const readyCondition = object.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: object.metadata?.name ?? '',
    labels: { ...(object.metadata?.labels ?? {}) },
    allocatable: amounts(object.status?.allocatable),
    capacity: amounts(object.status?.capacity),
    unschedulable: object.spec?.unschedulable === true,
    ready: readyCondition ? readyCondition.status === 'True' : null,
  };
}

/**
 * The controller reference of an object: the owner marked `controller: true`, or the only owner when a
 * hand-written manifest forgot the flag.
 */
function controllerOf(meta: Meta | undefined): ObjectRef & { uid?: string } | null {
  const owners = meta?.ownerReferences ?? [];
  const controller = owners.find((o) => o.controller === true) ?? (owners.length === 1 ? owners[0] : undefined);
  return controller ? { kind: controller.kind, name: controller.name, uid: controller.uid } : null;
}

function toPods(
  pods: IPod[],
  replicaSets: IReplicaSet[],
  what: (pod: IPod) => string,
  warnings: string[],
): PodInfo[] {
  const replicaSetsByUid = new Map<string, IReplicaSet>();
  const replicaSetsByName = new Map<string, IReplicaSet>();
  for (const rs of replicaSets) {
    if (rs.metadata?.uid) replicaSetsByUid.set(rs.metadata.uid, rs);
    replicaSetsByName.set(`${namespaceOf(rs.metadata)}/${rs.metadata?.name ?? ''}`, rs);
  }
  let inferred = 0;

  const ownerOf = (pod: IPod): ObjectRef | null => {
    const controller = controllerOf(pod.metadata);
    if (controller?.kind !== 'ReplicaSet') return controller && { kind: controller.kind, name: controller.name };
    const rs =
      (controller.uid ? replicaSetsByUid.get(controller.uid) : undefined) ??
      replicaSetsByName.get(`${namespaceOf(pod.metadata)}/${controller.name}`);
    if (rs) {
      const rsController = controllerOf(rs.metadata);
      return rsController
        ? { kind: rsController.kind, name: rsController.name }
        : { kind: 'ReplicaSet', name: controller.name };
    }
    // Without the ReplicaSet, its name still gives the Deployment away: the Deployment controller names it
    // "<deployment>-<pod-template-hash>" and labels its pods with that hash.
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    if (hash && controller.name.endsWith(`-${hash}`)) {
      inferred += 1;
      return { kind: 'Deployment', name: controller.name.slice(0, -hash.length - 1) };
    }
    return { kind: 'ReplicaSet', name: controller.name };
  };

  const result = pods.map((pod): PodInfo => {
    const meta = pod.metadata;
    return {
      namespace: namespaceOf(meta),
      name: meta?.name ?? '',
      uid: meta?.uid ?? null,
      labels: { ...(meta?.labels ?? {}) },
      nodeName: pod.spec?.nodeName ?? null,
      phase: pod.status?.phase ?? null,
      owner: ownerOf(pod),
      containers: toContainers(pod.spec, what(pod), warnings),
      containerStates: (pod.status?.containerStatuses ?? []).map((s) => ({
        name: s.name,
        ready: s.ready,
        restartCount: s.restartCount,
        lastTerminationReason: s.lastState?.terminated?.reason ?? null,
      })),
    };
  });
  if (inferred > 0) {
    warnings.push(
      `${inferred} pod(s) belong to ReplicaSets that were not read; their Deployment was inferred from the ReplicaSet name.`,
    );
  }
  return result;
}
