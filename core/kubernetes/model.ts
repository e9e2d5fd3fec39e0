/**
 * The normalised view of a fleet that the rules and the analysis read. A live cluster and a folder of
 * manifests produce exactly this shape, so nothing downstream cares where the objects came from.
 *
 * Units: CPU in cores, memory in bytes, ratios as fractions (70 % is 0.7). A value Kubernetes would default
 * is defaulted here the same way (a Deployment without `replicas` has 1); a value that is simply not set is
 * null. Relations that rules need (which PDBs and HPAs cover a workload, which workload owns a pod) are
 * resolved here once, so that rules stay pure functions over plain data.
 */
import type { LabelSelector, Labels } from './selectors';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** The resources Headroom reads; also how `unreadable` names the ones it could not. */
export type KubeResource =
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'replicasets'
  | 'horizontalpodautoscalers'
  | 'poddisruptionbudgets'
  | 'pods'
  | 'nodes'
  | 'services';

/** Where a manifest object was read from; null for objects read from a cluster. */
export interface Origin {
  file: string;
  /** 1-based line of the document (or `List` item) in the file. */
  line: number;
}

export interface ObjectRef {
  kind: string;
  name: string;
}

export interface ResourceValues {
  /** Cores; null when not set. */
  cpu: number | null;
  /** Bytes; null when not set. */
  memory: number | null;
}

export interface ContainerResources {
  name: string;
  image: string | null;
  requests: ResourceValues;
  limits: ResourceValues;
  /** A native sidecar: an init container with `restartPolicy: Always`, which runs beside the app. */
  sidecar: boolean;
}

export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  uid: string | null;
  labels: Labels;
  /** Desired replicas (defaulted to 1 as the API server does); null for a DaemonSet, which runs one per node. */
  replicas: number | null;
  /** From status; null when the source has no status (manifests) or the field is absent. */
  readyReplicas: number | null;
  selector: LabelSelector;
  podTemplateLabels: Labels;
  /** The long-running containers: `containers` plus native sidecars. Plain init containers are left out. */
  containers: ContainerResources[];
  /** Names of the HPAs in the namespace whose scale target is this workload. */
  hpas: string[];
  /** Names of the PDBs in the namespace whose selector matches this workload's pod template labels. */
  pdbs: string[];
  /** Names of the Services in the namespace whose selector matches this workload's pod template labels. */
  services: string[];
  origin: Origin | null;
}

/**
 * An HPA metric target. Kubernetes writes utilisation in percent of the request; here it is a fraction
 * (70 % is 0.7, and 150 % is 1.5). Values are parsed quantities; `raw` keeps the text for display.
 */
export type HpaMetricTarget =
  | { type: 'Utilization'; averageUtilization: number }
  | { type: 'AverageValue'; averageValue: number; raw: string }
  | { type: 'Value'; value: number; raw: string };

export type HpaMetric =
  | { type: 'Resource'; resource: string; target: HpaMetricTarget }
  | { type: 'ContainerResource'; resource: string; container: string; target: HpaMetricTarget }
  | { type: 'Pods'; metricName: string; selector: LabelSelector | null; target: HpaMetricTarget }
  | {
      type: 'Object';
      metricName: string;
      selector: LabelSelector | null;
      describedObject: ObjectRef & { apiVersion: string | null };
      target: HpaMetricTarget;
    }
  | { type: 'External'; metricName: string; selector: LabelSelector | null; target: HpaMetricTarget };

/** A scaling policy: at most `pods` pods, or `ratio` of the current replicas (100 % is 1), per period. */
export type HpaScalingPolicy =
  | { type: 'Pods'; pods: number; periodSeconds: number }
  | { type: 'Percent'; ratio: number; periodSeconds: number };

/** One direction of `spec.behavior`; null fields take Kubernetes' defaults. */
export interface HpaScalingRules {
  stabilizationWindowSeconds: number | null;
  selectPolicy: 'Max' | 'Min' | 'Disabled' | null;
  policies: HpaScalingPolicy[];
}

export interface HpaInfo {
  namespace: string;
  name: string;
  uid: string | null;
  target: ObjectRef & { apiVersion: string | null };
  /** Defaulted to 1 as the API server does. */
  minReplicas: number;
  maxReplicas: number;
  /** Never empty: an HPA without metrics scales on 80 % CPU utilisation, the API server's default. */
  metrics: HpaMetric[];
  /**
   * `spec.behavior`; a null direction means Kubernetes' default (scale up: no stabilisation, the larger of
   * 100 % or 4 pods per 15 s; scale down: 300 s stabilisation, 100 % per 15 s).
   */
  behavior: { scaleUp: HpaScalingRules | null; scaleDown: HpaScalingRules | null };
  /** From status; null when the source has no status. */
  currentReplicas: number | null;
  desiredReplicas: number | null;
  /** The apiVersion the object was written in (autoscaling/v1 objects are converted to the v2 model). */
  apiVersion: string;
  origin: Origin | null;
}

/** A PDB bound: an absolute pod count, or a fraction of the expected pods ("50%" is 0.5). */
export type DisruptionBound = { type: 'count'; value: number } | { type: 'ratio'; value: number };

export interface PdbInfo {
  namespace: string;
  name: string;
  uid: string | null;
  /** Null selects no pods (policy/v1); `{}` selects every pod in the namespace. */
  selector: LabelSelector | null;
  minAvailable: DisruptionBound | null;
  maxUnavailable: DisruptionBound | null;
  /** From status; null when the source has no status. */
  disruptionsAllowed: number | null;
  currentHealthy: number | null;
  desiredHealthy: number | null;
  expectedPods: number | null;
  origin: Origin | null;
}

export interface ContainerState {
  name: string;
  ready: boolean;
  restartCount: number;
  /** Why the previous run ended, e.g. "OOMKilled"; null when it has not restarted. */
  lastTerminationReason: string | null;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid: string | null;
  labels: Labels;
  nodeName: string | null;
  phase: string | null;
  /**
   * The top of the controller chain: a Deployment (through its ReplicaSet), StatefulSet, DaemonSet, or
   * whatever else controls the pod (a Job, say). Null for a bare pod.
   */
  owner: ObjectRef | null;
  containers: ContainerResources[];
  containerStates: ContainerState[];
}

export interface NodeInfo {
  name: string;
  labels: Labels;
  allocatable: { cpu: number | null; memory: number | null; pods: number | null };
  capacity: { cpu: number | null; memory: number | null; pods: number | null };
  unschedulable: boolean;
  /** The Ready condition; null when the source has no status. */
  ready: boolean | null;
}

export interface ServicePortInfo {
  name: string | null;
  port: number;
  targetPort: number | string | null;
  protocol: string;
  appProtocol: string | null;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  labels: Labels;
  type: string;
  /** Null for a Service without a selector (its endpoints are managed by hand). */
  selector: Labels | null;
  ports: ServicePortInfo[];
  origin: Origin | null;
}

export interface FleetSnapshot {
  source: 'cluster' | 'manifests';
  /** "context <name> (<server>)" for a cluster, the folder for manifests. */
  location: string;
  /** The namespace the snapshot was limited to; null for all. */
  namespace: string | null;
  /** The API server's gitVersion; null for manifests. */
  serverVersion: string | null;
  workloads: Workload[];
  hpas: HpaInfo[];
  pdbs: PdbInfo[];
  pods: PodInfo[];
  nodes: NodeInfo[];
  services: ServiceInfo[];
  /**
   * Resources that could not be read (RBAC, an API group the server does not serve, a server error). Their
   * lists above are empty because they are unknown, not because there are none: a rule must not report a
   * missing PDB when `poddisruptionbudgets` is here.
   */
  unreadable: KubeResource[];
  /** Everything the user should know about what was skipped or assumed, one sentence each. */
  warnings: string[];
}

/** Options every `ClusterReader` honours. */
export interface ReadOptions {
  /** Read one namespace only; nodes are read anyway, as they are cluster-wide. */
  namespace?: string;
}

/** Read-only access to a fleet's objects; implemented over the API server and over manifest folders. */
export interface ClusterReader {
  /** What is being read, for messages: "context prod (https://…)" or the folder. */
  readonly location: string;
  readSnapshot(options?: ReadOptions): Promise<FleetSnapshot>;
}
