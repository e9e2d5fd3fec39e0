/**
 * `ClusterReader` over a folder of manifests, the offline twin of `cluster.ts`: every `*.yaml`/`*.yml` below
 * the folder, multi-document files and `List` objects included. A broken file never hides the good ones:
 * invalid YAML, objects that fail their schema (checked with `kubernetes-models`) and apiVersions Headroom
 * does not read are each reported with file and line, and the rest is read.
 */
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler as HorizontalPodAutoscalerV1 } from 'kubernetes-models/autoscaling/v1/HorizontalPodAutoscaler';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Node } from 'kubernetes-models/v1/Node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { LineCounter, isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
import { KubernetesError } from './errors';
import type { ClusterReader, FleetSnapshot, Origin, ReadOptions } from './model';
import { buildSnapshot, type KubeObjects } from './snapshot';

/** A kubernetes-models class: validates an object of one apiVersion and kind. */
interface ModelClass {
  new (data: never): { validate(): void };
}

interface KnownType {
  bucket: keyof KubeObjects;
  model: ModelClass;
}

/** What Headroom reads, by "apiVersion kind". autoscaling/v1 HPAs are converted to the v2 model. */
const KNOWN_TYPES: ReadonlyMap<string, KnownType> = new Map([
  ['apps/v1 Deployment', { bucket: 'deployments', model: Deployment }],
  ['apps/v1 StatefulSet', { bucket: 'statefulSets', model: StatefulSet }],
  ['apps/v1 DaemonSet', { bucket: 'daemonSets', model: DaemonSet }],
  ['apps/v1 ReplicaSet', { bucket: 'replicaSets', model: ReplicaSet }],
  ['autoscaling/v2 HorizontalPodAutoscaler', { bucket: 'hpas', model: HorizontalPodAutoscaler }],
  ['autoscaling/v1 HorizontalPodAutoscaler', { bucket: 'hpas', model: HorizontalPodAutoscalerV1 }],
  ['policy/v1 PodDisruptionBudget', { bucket: 'pdbs', model: PodDisruptionBudget }],
  ['v1 Pod', { bucket: 'pods', model: Pod }],
  ['v1 Node', { bucket: 'nodes', model: Node }],
  ['v1 Service', { bucket: 'services', model: Service }],
] satisfies Array<[string, KnownType]>);

const KNOWN_KINDS = new Set([...KNOWN_TYPES.keys()].map((key) => key.split(' ')[1]));

/** Folders that hold no manifests of the user's own and can be huge. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

export function createManifestReader(path: string): ClusterReader {
  return {
    location: path,
    readSnapshot: async (options: ReadOptions = {}) => readManifestFolder(path, options),
  };
}

/** Reads a folder of manifests (or one manifest file) into a snapshot. */
export function readManifestFolder(path: string, options: ReadOptions = {}): FleetSnapshot {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    throw new KubernetesError(
      'folder-not-found',
      `The manifest folder ${path} does not exist: choose the folder that holds your YAML files.`,
    );
  }
  const root = stats.isDirectory() ? path : resolve(path, '..');
  const files = stats.isDirectory() ? findYamlFiles(path) : [path];
  const collector = new Collector(root);
  for (const file of files) collector.readFile(file);
  if (files.length === 0) collector.warnings.push(`${path} holds no .yaml or .yml files.`);
  collector.noteIgnoredKinds();

  return buildSnapshot({
    source: 'manifests',
    location: path,
    namespace: options.namespace ?? null,
    serverVersion: null,
    objects: collector.objects,
    origins: collector.origins,
    originLabel: (origin) => collector.label(origin),
    unreadable: [],
    warnings: collector.warnings,
  });
}

function findYamlFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) found.push(...findYamlFiles(path));
    } else if (/\.ya?ml$/i.test(entry.name)) {
      found.push(path);
    }
  }
  return found.sort();
}

class Collector {
  readonly objects: KubeObjects = {
    deployments: [],
    statefulSets: [],
    daemonSets: [],
    replicaSets: [],
    hpas: [],
    pdbs: [],
    pods: [],
    nodes: [],
    services: [],
  };
  readonly origins = new Map<object, Origin>();
  readonly warnings: string[] = [];
  private readonly ignoredKinds = new Map<string, number>();

  constructor(private readonly root: string) {}

  readFile(file: string): void {
    const lines = new LineCounter();
    const originAt = (offset: number): Origin => ({ file: resolve(file), line: lines.linePos(offset).line });
    let documents: Document.Parsed[];
    try {
      documents = parseAllDocuments(readFileSync(file, 'utf8'), { lineCounter: lines });
    } catch (error) {
      this.warnings.push(`${this.label({ file, line: 1 })}: could not be read (${(error as Error).message}); it is skipped.`);
      return;
    }
    for (const document of documents) {
      const [error] = document.errors;
      if (error) {
        const reason = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
        this.warnings.push(`${this.label(originAt(error.pos[0]))}: invalid YAML (${reason}); this document is skipped.`);
        continue;
      }
      const value: unknown = document.toJS();
      if (value === null || value === undefined) continue;
      const items = document.get('items');
      const itemOffsets = isSeq(items) ? items.items.map((node) => (isMap(node) ? node.range?.[0] : undefined)) : [];
      // The line of the document's first key, past any `---` and leading comments.
      const start = document.contents?.range?.[0] ?? document.range[0];
      this.collect(value, originAt(start), (index) => originAt(itemOffsets[index] ?? start));
    }
  }

  /** "path/inside/the/folder.yaml:12", for warnings. */
  label(origin: Origin): string {
    return `${relative(this.root, origin.file) || origin.file}:${origin.line}`;
  }

  private collect(value: unknown, origin: Origin, itemOrigin: (index: number) => Origin): void {
    const where = this.label(origin);
    if (!isObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
      this.warnings.push(`${where}: not a Kubernetes object (no kind or apiVersion); it is skipped.`);
      return;
    }
    const { kind, apiVersion } = value;
    if (kind.endsWith('List') && Array.isArray(value.items)) {
      // `kubectl get -o yaml` writes a v1 List whose items carry their own kind; a typed list (DeploymentList)
      // may leave it out, as the API server does.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      value.items.forEach((item: unknown, index: number) => {
        const withType = isObject(item) && itemKind !== undefined ? { kind: itemKind, apiVersion, ...item } : item;
        this.collect(withType, itemOrigin(index), itemOrigin);
      });
      return;
    }
    const name = isObject(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : '(unnamed)';
    const known = KNOWN_TYPES.get(`${apiVersion} ${kind}`);
    if (!known) {
      if (KNOWN_KINDS.has(kind)) {
        const supported = [...KNOWN_TYPES.keys()].filter((k) => k.endsWith(` ${kind}`)).map((k) => k.split(' ')[0]);
        this.warnings.push(
          `${where}: ${kind} ${name} uses ${apiVersion}, which Headroom does not read; it is skipped. Convert it to ${supported.join(' or ')} (current Kubernetes no longer serves the old beta versions either).`,
        );
      } else {
        this.ignoredKinds.set(kind, (this.ignoredKinds.get(kind) ?? 0) + 1);
      }
      return;
    }
    try {
      // Status is written by controllers, not by the user, and its schema drifts between Kubernetes versions:
      // only what the user wrote is checked.
      new known.model({ ...value, status: undefined } as never).validate();
    } catch (error) {
      this.warnings.push(
        `${where}: ${kind} ${name} is not a valid ${apiVersion} ${kind} (${schemaProblems(error)}); it is skipped.`,
      );
      return;
    }
    (this.objects[known.bucket] as unknown[]).push(value);
    this.origins.set(value, origin);
  }

  noteIgnoredKinds(): void {
    if (this.ignoredKinds.size === 0) return;
    const counts = [...this.ignoredKinds].map(([kind, count]) => `${kind} (${count})`).join(', ');
    const total = [...this.ignoredKinds.values()].reduce((sum, count) => sum + count, 0);
    this.warnings.push(`Ignored ${total} object(s) of kinds Headroom does not use: ${counts}.`);
  }
}

/**
 * The schema errors of a kubernetes-models ValidationError (ajv's), one per field. A bad quantity fails
 * several alternatives at once ("must be number", "must match format", "must match exactly one schema");
 * the format message is the one that says what is wrong.
 */
function schemaProblems(error: unknown): string {
  const issues = (error as { errors?: Array<{ instancePath: string; keyword: string; message?: string }> }).errors;
  if (!Array.isArray(issues) || issues.length === 0) return (error as Error).message;
  const byPath = new Map<string, string>();
  for (const issue of issues) {
    if (issue.keyword === 'oneOf') continue;
    const path = issue.instancePath.replace(/^\//, '') || 'the object';
    if (!byPath.has(path) || issue.keyword === 'format') byPath.set(path, issue.message ?? 'is invalid');
  }
  return [...byPath].map(([path, message]) => `${path} ${message}`).join('; ');
}

function isObject(value: unknown): value is Record<string, unknown> & { metadata?: unknown; items?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
