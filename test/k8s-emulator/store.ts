/**
 * The emulator's object store: loads a folder of YAML into the shapes the API server stores, and answers
 * list and get with the API server's selector and paging semantics.
 *
 * It deliberately shares no code with `core/kubernetes` (selectors, quantities, YAML loading): an emulator
 * built on the code under test would agree with that code's bugs.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
}

/** What the emulator serves, as a real API server's discovery documents list them. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'] },
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'] },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'] },
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'] },
  { group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'] },
  { group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'] },
  {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
  },
  {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
  },
];

export function groupVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
  [key: string]: unknown;
}

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface LoadSummary {
  /** Objects stored, by kind. */
  loaded: Record<string, number>;
  /** Objects of kinds the emulator does not serve (ConfigMaps, Ingresses, …), by kind. */
  skipped: Record<string, number>;
}

/** A bad request in the API server's sense: answered with a 400 Status carrying this message. */
export class BadRequestError extends Error {}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
}

export type ListResult =
  | { ok: true; items: StoredObject[]; resourceVersion: string; continueToken?: string; remainingItemCount?: number }
  | { ok: false; expired: true };

/** Creation time given to objects that do not state one, so that responses are reproducible. */
const DEFAULT_CREATION_TIMESTAMP = '2025-01-06T09:00:00Z';

/** Namespaces every cluster has, whether or not the fixtures mention them. */
const BUILT_IN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class ObjectStore {
  private readonly objects = new Map<ResourceType, Map<string, StoredObject>>(
    RESOURCE_TYPES.map((type) => [type, new Map()]),
  );
  private revision = 1;

  /** The store's resourceVersion: bumped by every load, which invalidates outstanding continue tokens. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /**
   * Loads every `*.yaml`/`*.yml` below `folder`. Strict, as test infrastructure should be: invalid YAML, an
   * object without kind or name, or a served kind in another apiVersion throws, naming file and line.
   */
  loadFolder(folder: string): LoadSummary {
    const summary: LoadSummary = { loaded: {}, skipped: {} };
    for (const file of yamlFilesBelow(folder)) {
      const lines = new LineCounter();
      for (const document of parseAllDocuments(readFileSync(file, 'utf8'), { lineCounter: lines })) {
        const where = `${file}:${lines.linePos(document.range[0]).line}`;
        const [error] = document.errors;
        if (error) throw new Error(`${where}: invalid YAML: ${error.message}`);
        const value: unknown = document.toJS();
        if (value !== null && value !== undefined) this.add(value, where, summary);
      }
    }
    this.fillOwnerUids();
    this.addMissingNamespaces();
    return summary;
  }

  list(type: ResourceType, namespace: string | null, query: ListQuery): ListResult {
    const labelRequirements = parseLabelSelector(query.labelSelector ?? '');
    const fieldRequirements = parseFieldSelector(query.fieldSelector ?? '');
    const matching = [...this.objectsOf(type).entries()]
      .filter(([, o]) => namespace === null || o.metadata.namespace === namespace)
      .filter(([, o]) => labelRequirements.every((r) => matchesLabelRequirement(r, o.metadata.labels ?? {})))
      .filter(([, o]) => fieldRequirements.every((r) => matchesFieldRequirement(r, o)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

    let start = 0;
    if (query.continueToken) {
      const token = decodeContinue(query.continueToken);
      if (token.rv !== this.resourceVersion) return { ok: false, expired: true };
      start = matching.findIndex(([key]) => key >= token.start);
      if (start === -1) start = matching.length;
    }
    const limit = query.limit ?? 0;
    const end = limit > 0 ? Math.min(start + limit, matching.length) : matching.length;
    const page = matching.slice(start, end);
    const result: ListResult = { ok: true, items: page.map(([, o]) => o), resourceVersion: this.resourceVersion };
    const last = page.at(-1);
    if (end < matching.length && last) {
      // The API server's token: the last key plus NUL, so the next page starts strictly after it.
      result.continueToken = encodeContinue({ v: 'meta.k8s.io/v1', rv: this.resourceVersion, start: `${last[0]}\u0000` });
      // It leaves the count out when a selector is in play, because it cannot know it cheaply.
      if (labelRequirements.length === 0 && fieldRequirements.length === 0) {
        result.remainingItemCount = matching.length - end;
      }
    }
    return result;
  }

  get(type: ResourceType, namespace: string | null, name: string): StoredObject | undefined {
    return this.objectsOf(type).get(keyOf(namespace, name));
  }

  private objectsOf(type: ResourceType): Map<string, StoredObject> {
    const objects = this.objects.get(type);
    if (!objects) throw new Error(`unknown resource type ${type.plural}`);
    return objects;
  }

  private add(value: unknown, where: string, summary: LoadSummary): void {
    if (!isRecord(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
      throw new Error(`${where}: not a Kubernetes object (kind and apiVersion are required)`);
    }
    const { kind, apiVersion } = value;
    if (kind.endsWith('List') && Array.isArray(value.items)) {
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      for (const item of value.items) {
        this.add(isRecord(item) && itemKind ? { kind: itemKind, apiVersion, ...item } : item, where, summary);
      }
      return;
    }
    const type = RESOURCE_TYPES.find((t) => t.kind === kind);
    if (!type) {
      summary.skipped[kind] = (summary.skipped[kind] ?? 0) + 1;
      return;
    }
    if (groupVersionOf(type) !== apiVersion) {
      throw new Error(`${where}: the emulator serves ${kind} as ${groupVersionOf(type)}, not ${apiVersion}`);
    }
    const metadata = isRecord(value.metadata) ? value.metadata : {};
    if (typeof metadata.name !== 'string' || metadata.name === '') {
      throw new Error(`${where}: ${kind} without metadata.name`);
    }
    const namespace = type.namespaced ? String(metadata.namespace ?? 'default') : undefined;
    this.revision += 1;
    const stored: StoredObject = {
      ...structuredClone(value),
      apiVersion,
      kind,
      metadata: {
        ...structuredClone(metadata),
        name: metadata.name,
        ...(namespace === undefined ? {} : { namespace }),
        uid: typeof metadata.uid === 'string' ? metadata.uid : uidFor(kind, namespace, metadata.name),
        resourceVersion: String(this.revision),
        creationTimestamp:
          typeof metadata.creationTimestamp === 'string' ? metadata.creationTimestamp : DEFAULT_CREATION_TIMESTAMP,
      },
    };
    if (namespace === undefined) delete stored.metadata.namespace;
    this.objectsOf(type).set(keyOf(namespace ?? null, metadata.name), stored);
    summary.loaded[kind] = (summary.loaded[kind] ?? 0) + 1;
  }

  /** Owner references need a uid on a real server; hand-written fixtures may name the owner only. */
  private fillOwnerUids(): void {
    for (const objects of this.objects.values()) {
      for (const object of objects.values()) {
        for (const owner of object.metadata.ownerReferences ?? []) {
          if (owner.uid) continue;
          const type = RESOURCE_TYPES.find((t) => t.kind === owner.kind);
          const namespace = type?.namespaced ? (object.metadata.namespace ?? null) : null;
          owner.uid =
            (type && this.get(type, namespace, owner.name)?.metadata.uid) ??
            uidFor(owner.kind, namespace ?? undefined, owner.name);
        }
      }
    }
  }

  private addMissingNamespaces(): void {
    const namespaceType = RESOURCE_TYPES.find((t) => t.kind === 'Namespace');
    if (!namespaceType) return;
    const used = new Set(BUILT_IN_NAMESPACES);
    for (const objects of this.objects.values()) {
      for (const object of objects.values()) if (object.metadata.namespace) used.add(object.metadata.namespace);
    }
    for (const name of used) {
      if (this.get(namespaceType, null, name)) continue;
      this.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } }, name, {
        loaded: {},
        skipped: {},
      });
    }
  }
}

function yamlFilesBelow(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function keyOf(namespace: string | null | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** A stable, UUID-shaped uid: the same object gets the same uid in every run. */
function uidFor(kind: string, namespace: string | undefined, name: string): string {
  const hex = createHash('sha1').update(`${kind}/${namespace ?? ''}/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ContinueToken {
  v: string;
  rv: string;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const token: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (isRecord(token) && typeof token.rv === 'string' && typeof token.start === 'string') {
      return { v: String(token.v), rv: token.rv, start: token.start };
    }
  } catch {
    // Falls through to the API server's answer for a token it did not issue.
  }
  throw new BadRequestError(`continue key is not valid: ${text}`);
}

type LabelRequirement =
  | { key: string; operator: 'exists' | 'notexists' }
  | { key: string; operator: 'in' | 'notin'; values: string[] };

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[-A-Za-z0-9_.]*`;

/**
 * The string form of label selectors (`labels.Parse` in apimachinery): `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, joined by commas.
 */
function parseLabelSelector(text: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const part of splitOutsideParentheses(text)) {
    let match: RegExpExecArray | null;
    if ((match = new RegExp(`^!\\s*(${KEY})$`).exec(part))) {
      requirements.push({ key: match[1] ?? '', operator: 'notexists' });
    } else if ((match = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(part))) {
      const values = (match[3] ?? '').split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v)) || values.every((v) => v === '')) {
        throw new BadRequestError(`unable to parse requirement: invalid values in "${part}"`);
      }
      requirements.push({ key: match[1] ?? '', operator: match[2] === 'in' ? 'in' : 'notin', values });
    } else if ((match = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(part))) {
      requirements.push({ key: match[1] ?? '', operator: match[2] === '!=' ? 'notin' : 'in', values: [match[3] ?? ''] });
    } else if ((match = new RegExp(`^(${KEY})$`).exec(part))) {
      requirements.push({ key: match[1] ?? '', operator: 'exists' });
    } else {
      throw new BadRequestError(`unable to parse requirement: "${part}"`);
    }
  }
  return requirements;
}

function splitOutsideParentheses(text: string): string[] {
  if (text.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  // An empty part ("a=b,,c") matches no requirement pattern and is refused, as the API server refuses it.
  return parts.map((p) => p.trim());
}

function matchesLabelRequirement(requirement: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  switch (requirement.operator) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && requirement.values.includes(labels[requirement.key] ?? '');
    case 'notin':
      return !has || !requirement.values.includes(labels[requirement.key] ?? '');
  }
}

interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  equal: boolean;
  value: string;
}

/** Field selectors for the fields every resource supports: `metadata.name` and `metadata.namespace`. */
function parseFieldSelector(text: string): FieldRequirement[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
      if (!match) throw new BadRequestError(`invalid selector: '${part}'; can't understand '${part}'`);
      const field = match[1] ?? '';
      if (field !== 'metadata.name' && field !== 'metadata.namespace') {
        throw new BadRequestError(`field label not supported: ${field}`);
      }
      return { field, equal: match[2] !== '!=', value: match[3] ?? '' };
    });
}

function matchesFieldRequirement(requirement: FieldRequirement, object: StoredObject): boolean {
  const actual = requirement.field === 'metadata.name' ? object.metadata.name : (object.metadata.namespace ?? '');
  return (actual === requirement.value) === requirement.equal;
}
