/**
 * The report's recommendations gathered per workload, which is how they are written out: one resources
 * patch per workload (all its containers), plus the HPA and PDB proposed for it.
 *
 * A `resources` recommendation carries numbers: `proposed.*.request` null means "no proposal" (left as it
 * is), `proposed.*.limit` null means "no limit" (removed if the workload has one). Values already in place
 * are left out of the patch. `hpa` and `pdb` recommendations carry their manifest as YAML text; it is parsed
 * and validated again here, because the text may have been edited or stored since it was built.
 */
import { parseAllDocuments } from 'yaml';
import type { Recommendation } from '../api/report';
import type { FleetSnapshot, Workload, WorkloadKind } from '../kubernetes/model';
import { matchesLabelSelector } from '../kubernetes/selectors';
import { ManifestError, type ManifestIssue, throwIfIssues } from './errors';
import type { WorkloadRef } from './metadata';
import { formatCpu, formatMemory } from './quantity';
import {
  type ContainerOrder,
  type ContainerResourcesChange,
  type PodTemplateHolder,
  type ResourcesPatch,
  type ResourceValuesChange,
  resourcesPatch,
} from './resources';
import { type KedaScaledObject, kedaScaledObjectSchema } from './request-rate-scaling';
import { type ExportedObject, isRecord, validateKubernetesObject, zodIssues } from './validate';

export interface WorkloadProposal {
  target: WorkloadRef;
  /** The workload as the fleet has it; null when the fleet does not have it (another namespace, say). */
  workload: Workload | null;
  /** Its current manifest, when the caller has it. */
  current: CurrentObject | null;
  /** Null when no resources change for this workload. */
  patch: ResourcesPatch | null;
  /** Why the patch may reorder containers under kustomize (see `resources.ts`); null when it cannot. */
  orderWarning: string | null;
  /** HPAs and PDBs, in the order of the recommendations. */
  objects: ProposedManifest[];
}

export interface ProposedManifest {
  /** Named after the object it replaces, when it replaces one. A KEDA ScaledObject stands for an HPA. */
  object: ExportedObject | KedaScaledObject;
  /**
   * Whether it replaces the workload's current HPA or PDB. A workload gets one of each: two HPAs fight over
   * its replica count, and the eviction API refuses to evict a pod that two PDBs select, which blocks drains.
   */
  replaces: boolean;
  /** Set when the fleet could not tell whether there is one to replace. */
  warning: string | null;
}

type CurrentObject = PodTemplateHolder & Record<string, unknown>;

const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet'] satisfies WorkloadKind[];
const MANIFEST_KINDS = { hpa: 'HorizontalPodAutoscaler', pdb: 'PodDisruptionBudget' } as const;

/**
 * Recommendations grouped per workload, sorted by namespace, kind and name. `currentObjects` are raw
 * manifests (a folder's, or `kubectl get -o yaml`'s); the one of each workload, when there, gives the
 * container order.
 */
export function proposalsByWorkload(
  recommendations: readonly Recommendation[],
  fleet: FleetSnapshot | null,
  currentObjects: readonly unknown[] = [],
): WorkloadProposal[] {
  interface Group {
    target: WorkloadRef;
    resources: Array<[Recommendation, number]>;
    objects: Array<[ExportedObject | KedaScaledObject, number]>;
  }
  const groups = new Map<string, Group>();
  recommendations.forEach((recommendation, index) => {
    const { target } = recommendation;
    if (!WORKLOAD_KINDS.includes(target.kind)) {
      throw new ManifestError('Recommendation', [
        {
          field: `recommendations[${index}].target.kind`,
          value: target.kind,
          message: 'must be Deployment, StatefulSet or DaemonSet',
        },
      ]);
    }
    const key = workloadKey(target);
    const group = groups.get(key) ?? {
      target: { ...target, kind: target.kind as WorkloadKind },
      resources: [],
      objects: [],
    };
    groups.set(key, group);
    if (recommendation.kind === 'resources') group.resources.push([recommendation, index]);
    else group.objects.push([manifestOf(recommendation, index, MANIFEST_KINDS[recommendation.kind]), index]);
  });
  return [...groups.values()]
    .sort((a, b) => compareRefs(a.target, b.target))
    .map(({ target, resources, objects }) => {
      const workload = fleet?.workloads.find((candidate) => workloadKey(candidate) === workloadKey(target)) ?? null;
      const current = currentObjects.find((object) => isCurrentObjectOf(object, target)) ?? null;
      const currentOrder = current ? objectOrder(current) : workload ? modelOrder(workload) : undefined;
      const changes = resources.map(([recommendation, index]) =>
        containerChange(recommendation, index, workload, currentOrder),
      );
      const effective = changes.filter((change) => change.requests !== undefined || change.limits !== undefined);
      for (const [object, index] of objects) checkCovers(object, target, workload, index);
      const manifests = objects.map(([object, index]) => replacement(object, index, target, workload, fleet));
      const patch = effective.length > 0 ? resourcesPatch({ target, containers: effective, currentOrder }) : null;
      return {
        target,
        workload,
        current,
        patch,
        orderWarning: patch && !current ? orderWarning(patch, workload) : null,
        objects: manifests,
      };
    });
}

/** "shop/Deployment/checkout". */
export function workloadKey(ref: { namespace: string; kind: string; name: string }): string {
  return `${ref.namespace}/${ref.kind}/${ref.name}`;
}

function compareRefs(a: WorkloadRef, b: WorkloadRef): number {
  return a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}

function isCurrentObjectOf(object: unknown, target: WorkloadRef): object is CurrentObject {
  if (!isRecord(object) || object.apiVersion !== 'apps/v1' || object.kind !== target.kind) return false;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  // A manifest without a namespace lands in "default", as `kubectl apply` would put it.
  return metadata.name === target.name && (metadata.namespace ?? 'default') === target.namespace;
}

function objectOrder(object: PodTemplateHolder): ContainerOrder {
  const podSpec = object.spec?.template?.spec;
  return {
    containers: (podSpec?.containers ?? []).map((container) => container.name),
    initContainers: (podSpec?.initContainers ?? []).map((container) => container.name),
  };
}

/** The fleet's model keeps the order of containers and of sidecars, but not the plain init containers. */
function modelOrder(workload: Workload): ContainerOrder {
  return {
    containers: workload.containers.filter((container) => !container.sidecar).map((container) => container.name),
    initContainers: workload.containers.filter((container) => container.sidecar).map((container) => container.name),
  };
}

function orderWarning(patch: ResourcesPatch, workload: Workload | null): string | null {
  if (!workload) {
    return (
      "The workload's containers were not known: check that each patched container is in the right list " +
      '(containers or initContainers), and their order in kustomize output, which moves the ones a patch names first.'
    );
  }
  if (patch.spec.template.spec.initContainers) {
    return (
      'kustomize moves the init containers a patch names to the front; plain init containers are not known here, ' +
      'so check that initContainers keep their order.'
    );
  }
  return null;
}

/** The proposal as a new object, or renamed to replace the workload's current one; see ProposedManifest. */
function replacement(
  object: ExportedObject | KedaScaledObject,
  index: number,
  target: WorkloadRef,
  workload: Workload | null,
  fleet: FleetSnapshot | null,
): ProposedManifest {
  if (object.kind === 'ScaledObject') {
    // KEDA makes an HPA of its own (keda-hpa-<name>); one already scaling the workload must go, not be renamed.
    const current = workload?.hpas ?? [];
    const warning = !fleet || fleet.unreadable.includes('horizontalpodautoscalers')
      ? `HPAs could not be read: if ${target.kind} ${target.name} already has one, delete it when applying this ScaledObject (KEDA creates its own).`
      : current.length > 0
        ? `Delete HPA ${current.join(', ')} when applying this ScaledObject: KEDA creates its own HPA, and two fight over the replica count.`
        : null;
    return { object, replaces: false, warning };
  }
  const isHpa = object.kind === 'HorizontalPodAutoscaler';
  const what = isHpa ? 'HPA' : 'PDB';
  const name = object.metadata?.name ?? '';
  if (!fleet || fleet.unreadable.includes(isHpa ? 'horizontalpodautoscalers' : 'poddisruptionbudgets')) {
    const warning =
      `${what}s could not be read: if ${target.kind} ${target.name} already has one, ` +
      'replace it with this one rather than add a second.';
    return { object, replaces: false, warning };
  }
  const existing = isHpa ? fleet.hpas : fleet.pdbs;
  const covering = (isHpa ? workload?.hpas : workload?.pdbs) ?? [];
  const fail = (value: unknown, message: string): never => {
    throw new ManifestError(`${object.kind} ${target.namespace}/${name}`, [
      { field: `recommendations[${index}].manifest: metadata.name`, value, message },
    ]);
  };
  const sameName = existing.some((item) => item.namespace === target.namespace && item.name === name);
  // A PDB of that name that selects none of the namespace's workloads (a selector typo, as the missing-pdb
  // rule reports it) is what the proposal fixes: it replaces it rather than fail. An HPA is not treated so: one
  // that scales no workload here may scale something Headroom does not model (an Argo Rollout).
  const orphan =
    !isHpa && sameName && !fleet.workloads.some((other) => other.namespace === target.namespace && other.pdbs.includes(name));
  if (sameName && !covering.includes(name) && !orphan) {
    return fail(name, `is taken by the ${what} of another workload`);
  }
  if (covering.length > 1) {
    return fail(
      covering,
      isHpa
        ? `would replace one of several HPAs scaling ${target.kind} ${target.name}: keep one first`
        : `would replace one of several PDBs over the pods of ${target.kind} ${target.name}: keep one first`,
    );
  }
  const [current = orphan ? name : undefined] = covering;
  if (current === undefined) return { object, replaces: false, warning: null };
  const orphanNote = orphan && covering.length === 0 ? `Replaces PDB ${name}, which selects none of the namespace's workloads.` : null;
  const hpaVersion = fleet.hpas.find((hpa) => hpa.namespace === target.namespace && hpa.name === current)?.apiVersion;
  if (isHpa && hpaVersion !== 'autoscaling/v2') {
    return fail(current, `is written in ${hpaVersion ?? 'an older version'}: convert it to autoscaling/v2 first`);
  }
  return { object: { ...object, metadata: { ...object.metadata, name: current } }, replaces: true, warning: orphanNote };
}

/** An HPA must scale the recommendation's workload and a PDB must select its pods, or the file misleads. */
function checkCovers(object: ExportedObject | KedaScaledObject, target: WorkloadRef, workload: Workload | null, index: number): void {
  const subject = `${object.kind} ${target.namespace}/${object.metadata?.name ?? ''}`;
  if (object.kind === 'HorizontalPodAutoscaler' || object.kind === 'ScaledObject') {
    const ref = object.spec?.scaleTargetRef;
    if (ref?.kind !== target.kind || ref.name !== target.name) {
      throw new ManifestError(subject, [
        {
          field: `recommendations[${index}].manifest: spec.scaleTargetRef`,
          value: ref,
          message: `must point at ${target.kind} ${target.name}`,
        },
      ]);
    }
  } else if (object.kind === 'PodDisruptionBudget' && workload) {
    if (!matchesLabelSelector(object.spec?.selector, workload.podTemplateLabels)) {
      throw new ManifestError(subject, [
        {
          field: `recommendations[${index}].manifest: spec.selector`,
          value: object.spec?.selector,
          message: `must select the pods of ${target.kind} ${target.name}`,
        },
      ]);
    }
  }
}

function containerChange(
  recommendation: Recommendation,
  index: number,
  workload: Workload | null,
  currentOrder: ContainerOrder | undefined,
): ContainerResourcesChange {
  const at = `recommendations[${index}]`;
  const container = workload?.containers.find((candidate) => candidate.name === recommendation.container);
  if (workload && !container) {
    throw new ManifestError(`${workload.kind} ${workload.namespace}/${workload.name}`, [
      { field: `${at}.container`, value: recommendation.container, message: 'is not a container of this workload' },
    ]);
  }
  // The fleet is what the patch will be applied to; the recommendation's `current` is the fallback.
  const current = container
    ? {
        cpu: { request: container.requests.cpu, limit: container.limits.cpu },
        memory: { request: container.requests.memory, limit: container.limits.memory },
      }
    : recommendation.current;
  const { proposed } = recommendation;
  const requests = definedOnly({
    cpu: requestChange(current.cpu.request, proposed.cpu.request, formatCpu),
    memory: requestChange(current.memory.request, proposed.memory.request, formatMemory),
  });
  const limits = definedOnly({
    cpu: limitChange(current.cpu.limit, proposed.cpu.limit, formatCpu),
    memory: limitChange(current.memory.limit, proposed.memory.limit, formatMemory),
  });
  // What the API server will hold after the patch: a request above a limit that stays is refused.
  const issues: ManifestIssue[] = [];
  for (const resource of ['cpu', 'memory'] as const) {
    const request = requests?.[resource] ?? current[resource].request;
    const limit = limits?.[resource] === undefined ? current[resource].limit : limits[resource];
    if (request !== null && request !== undefined && limit !== null && limit !== undefined && request > limit) {
      issues.push({
        field: `${at}.proposed.${resource}.request`,
        value: request,
        message: `exceeds the ${resource} limit the container would keep (${limit})`,
      });
    }
  }
  throwIfIssues(`Container ${recommendation.container} of ${workloadKey(recommendation.target)}`, issues);
  return {
    name: recommendation.container,
    // Restartable init containers are patched under initContainers; the manifest, when given, says which.
    sidecar: currentOrder?.initContainers.includes(recommendation.container) ?? false,
    ...(requests && { requests }),
    ...(limits && { limits }),
  };
}

type Format = (value: number) => string;

/** A proposed request replaces the current one unless it writes the same; null proposes nothing. */
function requestChange(current: number | null, proposed: number | null, format: Format): number | undefined {
  if (proposed === null) return undefined;
  return current !== null && format(current) === format(proposed) ? undefined : proposed;
}

/** A proposed limit of null removes the current one, if there is one. */
function limitChange(current: number | null, proposed: number | null, format: Format): number | null | undefined {
  if (proposed === null) return current === null ? undefined : null;
  return current !== null && format(current) === format(proposed) ? undefined : proposed;
}

function definedOnly(values: ResourceValuesChange): ResourceValuesChange | undefined {
  const defined = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  return Object.keys(defined).length > 0 ? defined : undefined;
}

function manifestOf(recommendation: Recommendation, index: number, kind: string): ExportedObject | KedaScaledObject {
  const field = `recommendations[${index}].manifest`;
  const fail = (message: string, value: unknown = recommendation.manifest): never => {
    throw new ManifestError(`Recommendation ${recommendation.kind} for ${workloadKey(recommendation.target)}`, [
      { field, value, message },
    ]);
  };
  const documents = parseAllDocuments(recommendation.manifest);
  if (!Array.isArray(documents) || documents.length !== 1) return fail('must hold exactly one YAML document');
  const [document] = documents;
  if (!document || document.errors.length > 0) {
    return fail(`is not valid YAML (${document?.errors[0]?.message ?? 'empty'})`);
  }
  const object: unknown = document.toJS();
  // An autoscaling proposal may come as a KEDA ScaledObject (keda.sh/v1alpha1), which owns the HPA it makes.
  const keda = kind === MANIFEST_KINDS.hpa && isRecord(object) && object.kind === 'ScaledObject';
  if (!isRecord(object) || (object.kind !== kind && !keda)) {
    return fail(`must be a ${kind}`, isRecord(object) ? object.kind : object);
  }
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const namespace = metadata.namespace ?? recommendation.target.namespace;
  // Without a namespace the object would land in whatever namespace `kubectl` or kustomize is pointed at.
  if (namespace !== recommendation.target.namespace) {
    return fail(`must be in the workload's namespace ${recommendation.target.namespace}`, namespace);
  }
  const placed = { ...object, metadata: { ...metadata, namespace } };
  if (keda) {
    throwIfIssues(`ScaledObject ${recommendation.target.namespace}/${String(metadata.name ?? '')}`, zodIssues(kedaScaledObjectSchema, placed));
    return placed as KedaScaledObject;
  }
  return validateKubernetesObject(placed);
}
