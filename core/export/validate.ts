/**
 * Checks every manifest before Headroom hands it out: kubernetes-models' JSON schemas (the OpenAPI schemas
 * the API server publishes), then the rules the API server enforces in Go code that no schema expresses
 * (minReplicas ≤ maxReplicas, a utilisation above 0, a PDB with only one of minAvailable and maxUnavailable,
 * requests within limits), then Headroom's own rules for what it is willing to propose (an HPA names its
 * metrics; a PDB has a non-empty selector and allows some disruption).
 *
 * The API server's rules are from `pkg/apis/autoscaling/validation` and `pkg/apis/policy/validation`; their
 * limits (stabilisation ≤ 3600 s, policy period ≤ 1800 s) are repeated here so that a proposal does not
 * fail at `kubectl apply` for a reason Headroom could have told first.
 */
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscalerBehavior } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerBehavior';
import type { IMetricTarget } from 'kubernetes-models/autoscaling/v2/MetricTarget';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { z } from 'zod';
import { parseQuantity } from '../kubernetes/quantity';
import { labelSelectorProblems } from '../kubernetes/selectors';
import { ManifestError, type ManifestIssue, throwIfIssues } from './errors';

export type WorkloadObject = IDeployment | IStatefulSet | IDaemonSet;
export type ExportedObject = IHorizontalPodAutoscaler | IPodDisruptionBudget | WorkloadObject;

/** A kubernetes-models class: validates an object of one apiVersion and kind with its JSON schema. */
interface ModelClass {
  new (data: never): { validate(): void };
}

const MODELS: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['autoscaling/v2 HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['policy/v1 PodDisruptionBudget', PodDisruptionBudget],
  ['apps/v1 Deployment', Deployment],
  ['apps/v1 StatefulSet', StatefulSet],
  ['apps/v1 DaemonSet', DaemonSet],
]);

/** apimachinery's limits, from `pkg/apis/autoscaling/validation`. */
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const MAX_POLICY_PERIOD_SECONDS = 1800;

/** RFC 1123: object names are DNS subdomains, namespaces DNS labels. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Validates a Kubernetes object Headroom exports and returns it typed; throws a ManifestError listing every
 * problem otherwise. Only the kinds Headroom writes are accepted.
 */
export function validateKubernetesObject(object: unknown): ExportedObject {
  if (!isRecord(object)) {
    throw new ManifestError('Manifest', [{ field: '(object)', value: object, message: 'must be an object' }]);
  }
  const key = `${String(object.apiVersion)} ${String(object.kind)}`;
  const subject = subjectOf(object);
  const model = MODELS.get(key);
  if (!model) {
    throw new ManifestError(subject, [
      { field: 'kind', value: key, message: `must be one of ${[...MODELS.keys()].join(', ')}` },
    ]);
  }
  const issues = [...metadataIssues(object)];
  let schemaValid = true;
  try {
    new model(object as never).validate();
  } catch (error) {
    schemaValid = false;
    issues.push(...schemaIssues(error, object));
  }
  // The semantic rules read fields the schema has just checked; with schema errors they would only repeat them.
  if (schemaValid) {
    const typed = object as unknown as ExportedObject;
    if (typed.kind === 'HorizontalPodAutoscaler') issues.push(...hpaIssues(typed));
    else if (typed.kind === 'PodDisruptionBudget') issues.push(...pdbIssues(typed));
    else issues.push(...workloadIssues(typed));
  }
  throwIfIssues(subject, issues);
  return object as unknown as ExportedObject;
}

/**
 * The container `resources` Headroom writes, checked with the ResourceRequirements schema and the API
 * server's "request ≤ limit" rule. `null` (remove this value, in a strategic merge patch) is left out of the
 * schema check, as it never reaches the stored object.
 */
export function resourceRequirementsIssues(
  resources: { requests?: Record<string, unknown>; limits?: Record<string, unknown> },
  path: string,
): ManifestIssue[] {
  const present = (values: Record<string, unknown> | undefined): Record<string, string | number> | undefined =>
    values === undefined
      ? undefined
      : (Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null)) as Record<string, string | number>);
  const requests = present(resources.requests);
  const limits = present(resources.limits);
  try {
    new ResourceRequirements({ requests, limits }).validate();
  } catch (error) {
    return schemaIssues(error, { requests, limits }).map((issue) => ({ ...issue, field: `${path}.${issue.field}` }));
  }
  const issues: ManifestIssue[] = [];
  for (const [resource, request] of Object.entries(requests ?? {})) {
    const limit = limits?.[resource];
    if (limit === undefined) continue;
    const requested = parseQuantity(request);
    const limited = parseQuantity(limit);
    if (requested !== null && limited !== null && requested > limited) {
      issues.push({
        field: `${path}.requests.${resource}`,
        value: request,
        message: `must be less than or equal to the ${resource} limit (${String(limit)})`,
      });
    }
  }
  return issues;
}

/** The API server's rules for `spec.behavior`, shared with KEDA's copy of it. */
export function behaviorIssues(behavior: IHorizontalPodAutoscalerBehavior | undefined, path: string): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const direction of ['scaleUp', 'scaleDown'] as const) {
    const rules = behavior?.[direction];
    if (!rules) continue;
    const at = `${path}.${direction}`;
    const window = rules.stabilizationWindowSeconds;
    if (
      window !== undefined &&
      !(Number.isInteger(window) && window >= 0 && window <= MAX_STABILIZATION_WINDOW_SECONDS)
    ) {
      issues.push({
        field: `${at}.stabilizationWindowSeconds`,
        value: window,
        message: `must be a whole number of seconds from 0 to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
      });
    }
    if (rules.selectPolicy !== undefined && !['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)) {
      issues.push({ field: `${at}.selectPolicy`, value: rules.selectPolicy, message: 'must be Max, Min or Disabled' });
    }
    // Left out, the API server fills in the default policies; written but empty, it refuses the object.
    if (rules.policies !== undefined && rules.policies.length === 0) {
      issues.push({ field: `${at}.policies`, value: [], message: 'must list at least one policy' });
    }
    rules.policies?.forEach((policy, index) => {
      const policyAt = `${at}.policies[${index}]`;
      if (policy.type !== 'Pods' && policy.type !== 'Percent') {
        issues.push({ field: `${policyAt}.type`, value: policy.type, message: 'must be Pods or Percent' });
      }
      if (!(Number.isInteger(policy.value) && policy.value > 0)) {
        issues.push({
          field: `${policyAt}.value`,
          value: policy.value,
          message: 'must be a whole number greater than 0',
        });
      }
      const period = policy.periodSeconds;
      if (!(Number.isInteger(period) && period > 0 && period <= MAX_POLICY_PERIOD_SECONDS)) {
        issues.push({
          field: `${policyAt}.periodSeconds`,
          value: period,
          message: `must be a whole number of seconds from 1 to ${MAX_POLICY_PERIOD_SECONDS}`,
        });
      }
    });
  }
  return issues;
}

/** A zod schema's result as ManifestIssues, with the failing value looked up at each issue's path. */
export function zodIssues<T>(schema: z.ZodType<T>, value: unknown): ManifestIssue[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const segments = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
    return { field: fieldPath(segments) || '(object)', value: valueAt(value, segments), message: issue.message };
  });
}

/** "HorizontalPodAutoscaler shop/checkout", for error messages. */
function subjectOf(object: Record<string, unknown>): string {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  return `${typeof object.kind === 'string' ? object.kind : 'Object'} ${namespace}${name}`;
}

/** Names and namespaces end up in file paths and `kubectl` commands, so they are checked as the API server does. */
export function nameIssues(name: unknown, namespace: unknown, path = 'metadata'): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    issues.push({
      field: `${path}.name`,
      value: name,
      message: 'must be a DNS subdomain: lower-case letters, digits, "-" and ".", at most 253 characters',
    });
  }
  const namespaceValid = typeof namespace === 'string' && namespace.length <= 63 && DNS_LABEL.test(namespace);
  if (namespace !== undefined && !namespaceValid) {
    issues.push({
      field: `${path}.namespace`,
      value: namespace,
      message: 'must be a DNS label: lower-case letters, digits and "-", at most 63 characters',
    });
  }
  return issues;
}

function metadataIssues(object: Record<string, unknown>): ManifestIssue[] {
  if (!isRecord(object.metadata)) return [{ field: 'metadata', value: object.metadata, message: 'must be set' }];
  return nameIssues(object.metadata.name, object.metadata.namespace);
}

const ALLOWED_TARGETS: Readonly<Record<string, readonly string[]>> = {
  Resource: ['Utilization', 'AverageValue'],
  ContainerResource: ['Utilization', 'AverageValue'],
  Pods: ['AverageValue'],
  Object: ['Value', 'AverageValue'],
  External: ['Value', 'AverageValue'],
};

/** The field of a MetricSpec that carries the source for each `type`. */
const SOURCE_FIELDS: Readonly<Record<string, 'resource' | 'containerResource' | 'pods' | 'object' | 'external'>> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
};

function hpaIssues(hpa: IHorizontalPodAutoscaler): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const spec = hpa.spec;
  if (!spec) return [{ field: 'spec', value: undefined, message: 'must be set' }];
  // Scaling to zero needs the alpha HPAScaleToZero feature gate; KEDA is the way to propose it.
  if (spec.minReplicas !== undefined && spec.minReplicas < 1) {
    issues.push({ field: 'spec.minReplicas', value: spec.minReplicas, message: 'must be at least 1' });
  }
  const minReplicas = spec.minReplicas ?? 1;
  if (spec.maxReplicas < 1) {
    issues.push({ field: 'spec.maxReplicas', value: spec.maxReplicas, message: 'must be at least 1' });
  } else if (spec.maxReplicas < minReplicas) {
    issues.push({
      field: 'spec.maxReplicas',
      value: spec.maxReplicas,
      message: `must be greater than or equal to minReplicas (${minReplicas})`,
    });
  }
  // The API server accepts an HPA without metrics and scales it on 80 % CPU; a proposal must say what it
  // scales on, because scaling on CPU is exactly what Headroom warns about when CPU is not the bottleneck.
  if (!spec.metrics || spec.metrics.length === 0) {
    issues.push({
      field: 'spec.metrics',
      value: spec.metrics,
      message: 'must list at least one metric (without one the HPA silently scales on 80 % CPU)',
    });
  }
  spec.metrics?.forEach((metric, index) => {
    const at = `spec.metrics[${index}]`;
    const sourceField = SOURCE_FIELDS[metric.type];
    const source = sourceField ? metric[sourceField] : undefined;
    if (!sourceField) {
      issues.push({
        field: `${at}.type`,
        value: metric.type,
        message: `must be one of ${Object.keys(SOURCE_FIELDS).join(', ')}`,
      });
    } else if (!source) {
      issues.push({ field: `${at}.${sourceField}`, value: undefined, message: `must be set for type ${metric.type}` });
    } else {
      const allowed = ALLOWED_TARGETS[metric.type] ?? [];
      issues.push(...metricTargetIssues(source.target, `${at}.${sourceField}.target`, allowed));
    }
  });
  issues.push(...behaviorIssues(spec.behavior, 'spec.behavior'));
  return issues;
}

function metricTargetIssues(target: IMetricTarget, path: string, allowed: readonly string[]): ManifestIssue[] {
  if (!allowed.includes(target.type)) {
    return [{ field: `${path}.type`, value: target.type, message: `must be ${allowed.join(' or ')} for this metric` }];
  }
  switch (target.type) {
    case 'Utilization':
      return target.averageUtilization !== undefined && target.averageUtilization > 0
        ? []
        : [
            {
              field: `${path}.averageUtilization`,
              value: target.averageUtilization,
              message: 'must be greater than 0',
            },
          ];
    case 'AverageValue':
      return positiveQuantityIssues(target.averageValue, `${path}.averageValue`);
    default:
      return positiveQuantityIssues(target.value, `${path}.value`);
  }
}

function positiveQuantityIssues(quantity: string | number | undefined, field: string): ManifestIssue[] {
  const value = quantity === undefined ? null : parseQuantity(quantity);
  if (value === null) return [{ field, value: quantity, message: 'must be a quantity' }];
  return value > 0 ? [] : [{ field, value: quantity, message: 'must be greater than 0' }];
}

function pdbIssues(pdb: IPodDisruptionBudget): ManifestIssue[] {
  const spec = pdb.spec ?? {};
  const issues: ManifestIssue[] = [];
  const { minAvailable, maxUnavailable, selector } = spec;
  if (minAvailable !== undefined && maxUnavailable !== undefined) {
    issues.push({
      field: 'spec.maxUnavailable',
      value: maxUnavailable,
      message: 'cannot be set together with minAvailable',
    });
  } else if (minAvailable === undefined && maxUnavailable === undefined) {
    issues.push({ field: 'spec.minAvailable', value: undefined, message: 'or maxUnavailable must be set' });
  }
  const bounds = [
    ['spec.minAvailable', minAvailable],
    ['spec.maxUnavailable', maxUnavailable],
  ] as const;
  for (const [field, bound] of bounds) {
    if (bound === undefined) continue;
    const parsed = parseBound(bound);
    if (parsed === null) {
      issues.push({
        field,
        value: bound,
        message: 'must be a whole number of pods of zero or more, or a percentage from "0%" to "100%"',
      });
    }
  }
  // Headroom proposes PDBs to keep some pods up through voluntary disruptions, not to stop them: a PDB that
  // allows none blocks node drains and cluster-autoscaler scale-downs (Polaris' pdbDisruptionsIsZero).
  if (isZero(maxUnavailable) || minAvailable === '100%') {
    issues.push({
      field: isZero(maxUnavailable) ? 'spec.maxUnavailable' : 'spec.minAvailable',
      value: isZero(maxUnavailable) ? maxUnavailable : minAvailable,
      message: 'allows no voluntary disruption, so node drains would block on these pods',
    });
  }
  if (!selector) {
    issues.push({
      field: 'spec.selector',
      value: selector,
      message: 'must be set: in policy/v1 a PDB without one protects no pod',
    });
  } else {
    if (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0) {
      issues.push({
        field: 'spec.selector',
        value: selector,
        message: 'must not be empty: {} selects every pod in the namespace',
      });
    }
    for (const problem of labelSelectorProblems(selector)) {
      issues.push({ field: 'spec.selector.matchExpressions', value: selector.matchExpressions, message: problem });
    }
  }
  return issues;
}

/** An IntOrString bound as pods or percent; null when it is neither, as the API server would judge it. */
function parseBound(bound: string | number): number | null {
  if (typeof bound === 'number') return Number.isInteger(bound) && bound >= 0 ? bound : null;
  const percent = /^(\d+)%$/.exec(bound);
  if (!percent) return null;
  const value = Number(percent[1]);
  return value <= 100 ? value : null;
}

function isZero(bound: string | number | undefined): boolean {
  return bound === 0 || bound === '0%';
}

function workloadIssues(workload: WorkloadObject): ManifestIssue[] {
  const podSpec = workload.spec?.template.spec;
  const issues: ManifestIssue[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    podSpec?.[list]?.forEach((container, index) => {
      if (container.resources) {
        const path = `spec.template.spec.${list}[${index}].resources`;
        issues.push(...resourceRequirementsIssues(container.resources, path));
      }
    });
  }
  return issues;
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: { missingProperty?: string };
}

/**
 * kubernetes-models throws ajv's errors. A bad quantity fails several alternatives at once ("must be number",
 * "must match format", "must match exactly one schema"); the format message is the one that says what is
 * wrong, so one issue per field is kept, preferring it.
 */
function schemaIssues(error: unknown, object: unknown): ManifestIssue[] {
  const raw = (error as { errors?: AjvIssue[] }).errors;
  if (!Array.isArray(raw) || raw.length === 0) {
    return [{ field: '(object)', value: object, message: (error as Error).message }];
  }
  const byField = new Map<string, ManifestIssue & { keyword: string }>();
  for (const issue of raw) {
    if (issue.keyword === 'oneOf') continue;
    const segments = issue.instancePath
      .split('/')
      .slice(1)
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, '/').replace(/~0/g, '~')));
    if (issue.keyword === 'required' && issue.params?.missingProperty) segments.push(issue.params.missingProperty);
    const field = fieldPath(segments) || '(object)';
    const existing = byField.get(field);
    if (!existing || (issue.keyword === 'format' && existing.keyword !== 'format')) {
      const message = issue.message ?? 'is invalid';
      byField.set(field, { field, value: valueAt(object, segments), message, keyword: issue.keyword });
    }
  }
  return [...byField.values()].map(({ field, value, message }) => ({ field, value, message }));
}

/** ["spec", "metrics", 0, "pods"] as "spec.metrics[0].pods". */
function fieldPath(segments: ReadonlyArray<string | number>): string {
  return segments.reduce<string>(
    (path, segment) => (typeof segment === 'number' ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment),
    '',
  );
}

function valueAt(object: unknown, segments: ReadonlyArray<string | number>): unknown {
  let value = object;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
