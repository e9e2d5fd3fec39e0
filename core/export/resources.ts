/**
 * Container `resources` changes as strategic merge patches of a Deployment, StatefulSet or DaemonSet.
 *
 * Strategic merge patch semantics this relies on (`k8s.io/apimachinery/pkg/util/strategicpatch`, also what
 * kustomize and `kubectl patch --type strategic` apply):
 * - `containers` and `initContainers` merge by `name` (their patchMergeKey): a container the patch does not
 *   name, or names without `resources`, is left alone;
 * - `resources.requests` and `resources.limits` are maps, merged key by key;
 * - a key set to `null` is deleted. That is how "remove the CPU limit" is written: `limits: {cpu: null}`.
 *   `$patch: delete` would also work, but it deletes a whole map or list element, so on `limits` it would
 *   take `ephemeral-storage` or GPU limits with it; the per-key null removes exactly what was proposed.
 *
 * One difference matters: kustomize's strategic merge (kyaml) puts the list elements a patch names first,
 * in the patch's order, where `kubectl patch` keeps the object's order; and kyaml does not understand the
 * `$setElementOrder` directive that would fix it (it leaks into the output). Reordering `containers` changes
 * which one `kubectl logs` and `exec` pick by default; reordering `initContainers` changes the order they
 * start in. So when the current order is known, a patch names every container of a list it touches, in that
 * order, the unchanged ones by name only, which merges to nothing.
 */
import type { WorkloadKind } from '../kubernetes/model';
import { ManifestError, type ManifestIssue, throwIfIssues } from './errors';
import type { WorkloadRef } from './metadata';
import { formatCpu, formatMemory } from './quantity';
import { nameIssues, resourceRequirementsIssues } from './validate';

/** A number sets the value (cores, bytes); null removes it; left out, it stays as it is. */
export interface ResourceValuesChange {
  cpu?: number | null;
  memory?: number | null;
}

export interface ContainerResourcesChange {
  name: string;
  /** A native sidecar, i.e. an init container with `restartPolicy: Always`: patched under `initContainers`. */
  sidecar?: boolean;
  requests?: ResourceValuesChange;
  limits?: ResourceValuesChange;
}

export interface ResourcesPatchInput {
  target: WorkloadRef;
  containers: ContainerResourcesChange[];
  /** Every container's name in the workload's current order, per list; see the note on order above. */
  currentOrder?: ContainerOrder;
}

export interface ContainerOrder {
  containers: readonly string[];
  initContainers: readonly string[];
}

/** Quantity text, or null for "remove". */
export type ResourceListPatch = Partial<Record<'cpu' | 'memory', string | null>>;

export interface ContainerPatch {
  name: string;
  /** Left out for a container named only to keep the list's order. */
  resources?: { requests?: ResourceListPatch; limits?: ResourceListPatch };
}

/**
 * A strategic merge patch. Not typed as kubernetes-models' IDeployment: a patch leaves out required fields
 * (selector, image) and carries nulls, so it is not a valid Deployment and must not pass for one.
 */
export interface ResourcesPatch {
  apiVersion: 'apps/v1';
  kind: WorkloadKind;
  metadata: { name: string; namespace: string };
  spec: { template: { spec: { containers?: ContainerPatch[]; initContainers?: ContainerPatch[] } } };
}

/** Builds and validates the patch; throws a ManifestError naming the field when it would be refused. */
export function resourcesPatch(input: ResourcesPatchInput): ResourcesPatch {
  const { target } = input;
  const subject = `${target.kind} ${target.namespace}/${target.name}`;
  const issues: ManifestIssue[] = [...nameIssues(target.name, target.namespace, 'target')];
  if (input.containers.length === 0) {
    issues.push({ field: 'containers', value: [], message: 'must list at least one container to change' });
  }
  const seen = new Set<string>();
  const changed: Record<'containers' | 'initContainers', ContainerPatch[]> = { containers: [], initContainers: [] };
  input.containers.forEach((change, index) => {
    const at = `containers[${index}]`;
    const list = change.sidecar ? 'initContainers' : 'containers';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(change.name) || change.name.length > 63) {
      issues.push({ field: `${at}.name`, value: change.name, message: 'must be a container name (a DNS label)' });
    }
    if (seen.has(change.name)) issues.push({ field: `${at}.name`, value: change.name, message: 'is listed twice' });
    seen.add(change.name);
    if (input.currentOrder && !input.currentOrder[list].includes(change.name)) {
      issues.push({ field: `${at}.name`, value: change.name, message: `is not one of the workload's ${list}` });
    }
    const resources = {
      ...(change.requests && { requests: resourceList(change.requests, `${at}.requests`) }),
      ...(change.limits && { limits: resourceList(change.limits, `${at}.limits`) }),
    };
    if (!Object.values(resources).some((values) => Object.keys(values).length > 0)) {
      issues.push({
        field: at,
        value: change,
        message: 'changes nothing: set a request or limit, or null to remove one',
      });
    }
    issues.push(...resourceRequirementsIssues(resources, `${at}.resources`));
    changed[list].push({ name: change.name, resources });
  });
  const listed = (list: 'containers' | 'initContainers'): ContainerPatch[] => {
    const order = input.currentOrder?.[list];
    if (!order || changed[list].length === 0) return changed[list];
    return order.map((name) => changed[list].find((container) => container.name === name) ?? { name });
  };
  const containers = listed('containers');
  const initContainers = listed('initContainers');
  throwIfIssues(subject, issues);
  return {
    apiVersion: 'apps/v1',
    kind: target.kind,
    metadata: { name: target.name, namespace: target.namespace },
    spec: {
      template: {
        spec: {
          ...(containers.length > 0 && { containers }),
          ...(initContainers.length > 0 && { initContainers }),
        },
      },
    },
  };
}

/** Anything shaped like a workload or a patch of one: only container names and resources are read. */
export interface PodTemplateHolder {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: Partial<Record<ContainerList, ContainerWithResources[]>> } };
}

type ContainerList = 'containers' | 'initContainers';

interface ContainerWithResources {
  name: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}

/**
 * `object` (a full workload) with the `resources` of `patch`'s containers merged in, as a strategic merge
 * patch would: containers matched by name, each request and limit set or, when null, removed. Everything
 * else in `patch` is ignored. The input is not modified.
 *
 * A container the object does not have is an error: a strategic merge patch would append it with no image,
 * which the API server refuses.
 */
export function applyResourcesPatch<T extends PodTemplateHolder>(object: T, patch: PodTemplateHolder): T {
  const result = structuredClone(object);
  const podSpec = result.spec?.template?.spec;
  for (const list of ['containers', 'initContainers'] as const) {
    for (const change of patch.spec?.template?.spec?.[list] ?? []) {
      // A name-only entry keeps the list's order in kustomize and changes nothing here.
      if (!change.resources) continue;
      const container = podSpec?.[list]?.find((candidate) => candidate.name === change.name);
      if (!container) {
        const { namespace = '', name = '' } = object.metadata ?? {};
        throw new ManifestError(`${object.kind ?? 'Workload'} ${namespace}/${name}`, [
          {
            field: `spec.template.spec.${list}`,
            value: change.name,
            message: 'has no container of this name to patch',
          },
        ]);
      }
      container.resources = mergeResources(container.resources ?? {}, change.resources);
    }
  }
  return result;
}

type Resources = NonNullable<ContainerWithResources['resources']>;

function mergeResources(current: Resources, change: Resources): Resources {
  // Everything but requests and limits (`claims`, say) stays as it is.
  const { requests, limits, ...others } = current;
  const merged: Resources = { ...others };
  for (const key of ['requests', 'limits'] as const) {
    const changes = change[key] ?? {};
    const before = (key === 'requests' ? requests : limits) ?? {};
    const kept = Object.entries(before).filter(([resource]) => !(resource in changes));
    const set = Object.entries(changes).filter(([, value]) => value !== null);
    const list = Object.fromEntries([...kept, ...set]);
    // An empty map means the same as none; leaving `limits: {}` behind would only add noise to diffs.
    if (Object.keys(list).length > 0) merged[key] = list;
  }
  return merged;
}

function resourceList(values: ResourceValuesChange, field: string): ResourceListPatch {
  const list: ResourceListPatch = {};
  if (values.cpu !== undefined) list.cpu = values.cpu === null ? null : formatCpu(values.cpu, `${field}.cpu`);
  if (values.memory !== undefined) {
    list.memory = values.memory === null ? null : formatMemory(values.memory, `${field}.memory`);
  }
  return list;
}
