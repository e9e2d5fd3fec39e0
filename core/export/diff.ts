/**
 * Before/after of a proposal as a unified diff, for a terminal or the UI. Only the part of the spec a
 * proposal changes is compared (replicas and container resources of a workload; the spec of an HPA, PDB or
 * ScaledObject), so the diff shows the change and not a page of unrelated YAML. Quantities on both sides
 * are written the same way ("0.25" and "250m" are the same request), so only real changes show, and each
 * container's requests and limits sit on one line each, so a change reads as one line replaced.
 *
 * When the current object was read from a manifest folder, the headers name its file and line: the hunks
 * are of the compared excerpt, not of the file, so they are for reading, not for `patch`.
 */
import { relative } from 'node:path';
import { FILE_HEADERS_ONLY, createTwoFilesPatch } from 'diff';
import { Document, isPair, isScalar, visit } from 'yaml';
import type { ContainerResources, Origin, Workload } from '../kubernetes/model';
import { parseQuantity } from '../kubernetes/quantity';
import { ManifestError } from './errors';
import { formatCpu, formatMemory } from './quantity';
import type { KedaScaledObject } from './request-rate-scaling';
import { type PodTemplateHolder, type ResourcesPatch, applyResourcesPatch } from './resources';
import { type ExportedObject, isRecord } from './validate';
import { toYaml } from './yaml';

export type ProposedObject = ExportedObject | ResourcesPatch | KedaScaledObject;

export interface DiffOptions {
  /** Where a raw `current` object was read from; a Workload carries its own `origin`. */
  currentOrigin?: Origin | null;
  /** Write the file in the headers relative to this folder (the manifest folder, or the working directory). */
  relativeTo?: string;
  /** Lines of context around each change; 3 as in `diff -u`. */
  context?: number;
}

type ResourceList = Record<string, string>;

interface ContainerView {
  name: string;
  resources: { requests?: ResourceList; limits?: ResourceList };
}

interface WorkloadView {
  replicas?: number;
  containers?: ContainerView[];
  /** Native sidecars only: plain init containers do not run beside the app and are not sized here. */
  initContainers?: ContainerView[];
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

/**
 * The unified diff from `current` to `proposed`; empty when they do not differ. `current` is the fleet's
 * Workload, a raw object (from a folder or the API server), or null for an object that does not exist yet.
 * A resources patch is read as what it is, a patch of `current`; a full workload replaces it.
 */
export function diffAgainstCurrent(
  current: Workload | Record<string, unknown> | null,
  proposed: ProposedObject,
  options: DiffOptions = {},
): string {
  const identity = `${proposed.kind} ${proposed.metadata?.namespace ?? 'default'}/${proposed.metadata?.name ?? ''}`;
  if (current !== null && current.kind !== proposed.kind) {
    throw new ManifestError(identity, [
      { field: 'current.kind', value: current.kind, message: `must be ${proposed.kind} to compare with the proposal` },
    ]);
  }
  let beforeText: string;
  let afterText: string;
  if (WORKLOAD_KINDS.includes(proposed.kind)) {
    const before = current === null ? null : currentWorkloadView(current);
    const after = proposedWorkloadView(before, proposed);
    beforeText = before === null ? '' : workloadYaml(before);
    // The fleet's model knows CPU and memory only; other resources of a full proposal are not changes.
    afterText = workloadYaml(current !== null && isWorkloadModel(current) ? cpuAndMemoryOnly(after) : after);
  } else {
    // Past the kind check, `current` is not a Workload model: those are only ever workloads.
    beforeText = current === null ? '' : toYaml([specOf(current as Record<string, unknown>)]);
    afterText = toYaml([specOf(proposed)]);
  }
  if (beforeText === afterText) return '';

  const origin = current !== null && isWorkloadModel(current) ? current.origin : (options.currentOrigin ?? null);
  const file = origin && (options.relativeTo ? relative(options.relativeTo, origin.file) : origin.file);
  const oldName = current === null ? '/dev/null' : (file ?? identity);
  const oldHeader = current === null ? undefined : origin ? `${identity}, line ${origin.line}` : 'current';
  return createTwoFilesPatch(oldName, file ?? identity, beforeText, afterText, oldHeader, 'proposed', {
    context: options.context ?? 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}

function isWorkloadModel(value: Workload | Record<string, unknown>): value is Workload {
  return !('apiVersion' in value) && Array.isArray(value.containers);
}

function currentWorkloadView(current: Workload | Record<string, unknown>): WorkloadView {
  if (!isWorkloadModel(current)) return objectWorkloadView(current, true);
  const views = (containers: ContainerResources[]): ContainerView[] | undefined =>
    containers.length === 0
      ? undefined
      : containers.map((container) => ({
          name: container.name,
          resources: {
            requests: resourceList({ cpu: container.requests.cpu, memory: container.requests.memory }),
            limits: resourceList({ cpu: container.limits.cpu, memory: container.limits.memory }),
          },
        }));
  return {
    ...(current.replicas !== null && { replicas: current.replicas }),
    containers: views(current.containers.filter((container) => !container.sidecar)),
    initContainers: views(current.containers.filter((container) => container.sidecar)),
  };
}

function proposedWorkloadView(before: WorkloadView | null, proposed: ProposedObject): WorkloadView {
  const full = isRecord(proposed.spec) && 'selector' in proposed.spec;
  if (full || before === null) {
    // A patch on its own says nothing about replicas, so none are defaulted for it.
    return objectWorkloadView(proposed as unknown as Record<string, unknown>, full);
  }
  const { containers, initContainers } = before;
  const patched = applyResourcesPatch(
    { kind: proposed.kind, metadata: proposed.metadata, spec: { template: { spec: { containers, initContainers } } } },
    proposed as PodTemplateHolder,
  );
  const podSpec = patched.spec.template.spec;
  // Normalised again: the patch's quantities are as written, and its nulls have removed values.
  return {
    ...before,
    containers: containerViews(podSpec.containers, () => true),
    initContainers: containerViews(podSpec.initContainers, () => true),
  };
}

/** Replicas (defaulted as the API server does, for full objects) and the long-running containers' resources. */
function objectWorkloadView(object: Record<string, unknown>, defaultReplicas: boolean): WorkloadView {
  const spec = isRecord(object.spec) ? object.spec : {};
  const template = isRecord(spec.template) ? spec.template : {};
  const podSpec = isRecord(template.spec) ? template.spec : {};
  const replicas =
    typeof spec.replicas === 'number' ? spec.replicas : defaultReplicas && object.kind !== 'DaemonSet' ? 1 : undefined;
  return {
    replicas,
    containers: containerViews(podSpec.containers, () => true),
    initContainers: containerViews(podSpec.initContainers, (container) => container.restartPolicy === 'Always'),
  };
}

function containerViews(
  list: unknown,
  include: (container: Record<string, unknown>) => boolean,
): ContainerView[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const views = list
    .filter(isRecord)
    .filter(include)
    .map((container): ContainerView => {
      const resources = isRecord(container.resources) ? container.resources : {};
      return {
        name: String(container.name),
        resources: { requests: resourceList(resources.requests), limits: resourceList(resources.limits) },
      };
    });
  return views.length > 0 ? views : undefined;
}

/**
 * Requests or limits as the view writes them: CPU and memory through `formatCpu`/`formatMemory`, anything
 * else (GPUs, storage) as written; cpu and memory first; nulls (removed values) left out.
 */
function resourceList(values: unknown): ResourceList | undefined {
  if (!isRecord(values)) return undefined;
  const entries = Object.entries(values)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([resource, value]): [string, string] => [resource, normalisedQuantity(resource, value)])
    .sort(([a], [b]) => resourceRank(a) - resourceRank(b) || a.localeCompare(b));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function resourceRank(resource: string): number {
  return resource === 'cpu' ? 0 : resource === 'memory' ? 1 : 2;
}

function normalisedQuantity(resource: string, value: unknown): string {
  const parsed = typeof value === 'string' || typeof value === 'number' ? parseQuantity(value) : null;
  if (parsed === null || parsed < 0) return String(value);
  if (resource === 'cpu') return formatCpu(parsed);
  if (resource === 'memory') return formatMemory(parsed);
  return String(value);
}

function cpuAndMemoryOnly(view: WorkloadView): WorkloadView {
  const only = (list: ResourceList | undefined): ResourceList | undefined =>
    resourceList(list && { cpu: list.cpu, memory: list.memory });
  const containers = (views: ContainerView[] | undefined): ContainerView[] | undefined =>
    views?.map(({ name, resources }) => ({
      name,
      resources: { requests: only(resources.requests), limits: only(resources.limits) },
    }));
  return { ...view, containers: containers(view.containers), initContainers: containers(view.initContainers) };
}

/** Replicas first, then containers; each requests and limits map on one line. */
function workloadYaml(view: WorkloadView): string {
  const document = new Document(
    { replicas: view.replicas, containers: view.containers, initContainers: view.initContainers },
    { aliasDuplicateObjects: false },
  );
  visit(document, {
    Map(_, map, path) {
      const parent = path.at(-1);
      const key = isPair(parent) && isScalar(parent.key) ? parent.key.value : null;
      if (key === 'requests' || key === 'limits') map.flow = true;
    },
  });
  return document.toString({ lineWidth: 0 });
}

function specOf(object: Record<string, unknown> | ProposedObject): unknown {
  return ('spec' in object && object.spec) || {};
}
