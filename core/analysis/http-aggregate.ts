import { LEGACY_POD_LABELS, NO_POD, type DetectedHttpFamily } from '../prometheus/catalog';
import { escapeLabelValue, selector, type Matcher } from '../prometheus/promql';
import { attachPodFromTargetInfo, attachWorkload, type WorkloadJoin } from '../prometheus/workloads';

/**
 * Per-workload aggregates of one HTTP family, whatever the number of workloads. Each way the family's
 * series can name their workload is one branch: scraped with pod labels, pushed over OTLP and named by
 * target_info, named by a job only, by Istio's destination labels, or by ingress-nginx's backend
 * service. Several quantities ("parts": totals over 5m, errors over 1h…) share one join per branch:
 * the per-pod sums of all parts are unioned, tagged with `headroom_part`, and joined to the
 * workload map once — which keeps queries short (VictoriaMetrics refuses queries over 16 KiB by
 * default) and the store's work small.
 */
export const PART_LABEL = 'headroom_part';
export const WORKLOAD_LABELS = ['namespace', 'workload', 'workload_type'] as const;

export interface HttpAggregateScope {
  family: DetectedHttpFamily;
  /** The join; its lookback is raised to the longest part's window. */
  join: Omit<WorkloadJoin, 'lookbackSeconds'>;
  /** True when target_info carries k8s pod attributes (see MetricCatalog.targetInfoPods). */
  targetInfoPods: boolean;
  namespaces?: readonly string[];
}

export interface AggregatePart {
  /** Value of `headroom_part` on this part's results. */
  part: string;
  /** `_count` stands for the family's request series (`DetectedHttpFamily.requests`), which may be a separate counter. */
  suffix: '_count' | '_bucket' | '_sum';
  matchers?: readonly Matcher[];
  /** Per-series expression of a selector, e.g. `increase(sel[7d])`. */
  perSeries: (sel: string) => string;
  /** How far back pods must be mapped for this part (its range window). */
  lookbackSeconds: number;
}

function regexOfLiterals(values: readonly string[]): string {
  return values.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

function namespaceMatcher(label: string, scope: HttpAggregateScope): Matcher[] {
  const out: Matcher[] = [];
  if (scope.namespaces && scope.namespaces.length > 0) out.push({ label, op: '=~', value: regexOfLiterals(scope.namespaces) });
  if (scope.join.only) out.push({ label, op: '=', value: scope.join.only.namespace });
  return out;
}

const setConstant = (expr: string, label: string, value: string): string => `label_replace(${expr}, "${label}", "${escapeLabelValue(value)}", "", "")`;
const copy = (expr: string, to: string, from: string): string => `label_replace(${expr}, "${to}", "$1", "${from}", "(.+)")`;
const tag = (expr: string, part: string): string => setConstant(expr, PART_LABEL, part);

/** One expression summing every part by the workload labels, `by` and `headroom_part`. */
export function httpAggregateQuery(scope: HttpAggregateScope, parts: readonly AggregatePart[], by: readonly string[] = []): string {
  const { family } = scope;
  const join: WorkloadJoin = { ...scope.join, lookbackSeconds: Math.max(...parts.map((p) => p.lookbackSeconds)) };
  const metricOf = (p: AggregatePart): string => (p.suffix === '_count' ? family.requests : `${family.family.histogram}${p.suffix}`);
  const base = (p: AggregatePart): Matcher[] => [...family.family.matchers, ...(p.matchers ?? [])];
  const unionOf = (branchMatchers: readonly Matcher[], groupBy: readonly string[]): string =>
    parts
      .map((p) => tag(`sum by (${[...groupBy, ...by].join(', ')}) (${p.perSeries(selector(metricOf(p), [...base(p), ...branchMatchers], join.global))})`, p.part))
      .join(' or ');
  const onlyWorkload = (expr: string): string =>
    join.only ? `(${expr}) and on (workload) ${setConstant('vector(1)', 'workload', join.only.workload)}` : expr;
  const branches: string[] = [];
  switch (family.family.identity) {
    case 'pod': {
      // Per-pod sums first: the join then sees one row per pod (and `le`), not one per route and status.
      if (family.podLabels) {
        branches.push(attachWorkload(unionOf([{ label: 'pod', op: '!=', value: '' }, ...namespaceMatcher('namespace', scope)], ['namespace', 'pod', PART_LABEL]), join));
      }
      if (family.legacyPodLabels) {
        // The same pods under the older names, renamed for the join; series that also carry `pod` are the branch above's.
        const { namespace, pod } = LEGACY_POD_LABELS;
        const legacy = unionOf([{ label: pod, op: '!=', value: '' }, { label: 'pod', op: '=', value: '' }, ...namespaceMatcher(namespace, scope)], [namespace, pod, PART_LABEL]);
        branches.push(attachWorkload(copy(copy(legacy, 'namespace', namespace), 'pod', pod), join));
      }
      if (family.jobInstance) {
        const withoutPod: Matcher[] = [...NO_POD];
        if (scope.targetInfoPods) branches.push(attachWorkload(attachPodFromTargetInfo(unionOf(withoutPod, ['job', 'instance', PART_LABEL]), join), join));
        // No pod anywhere: OpenTelemetry names the job service.namespace/service.name.
        const byJob = unionOf(withoutPod, ['job', 'instance', PART_LABEL]);
        const named = setConstant(
          `label_replace(label_replace(${byJob}, "namespace", "$1", "job", "([^/]+)/.+"), "workload", "$1", "job", "(?:[^/]+/)?(.+)")`,
          'workload_type',
          'Service',
        );
        const uncovered = scope.targetInfoPods ? `(${named}) unless on (job, instance) ${selector('target_info', [{ label: 'k8s_pod_name', op: '!=', value: '' }], join.global)}` : named;
        branches.push(onlyWorkload(uncovered));
      }
      break;
    }
    case 'istio-destination': {
      const only: Matcher[] = join.only ? [{ label: 'destination_workload', op: '=', value: join.only.workload }] : [];
      const union = unionOf([...namespaceMatcher('destination_workload_namespace', scope), ...only], ['destination_workload_namespace', 'destination_workload', PART_LABEL]);
      branches.push(setConstant(copy(copy(union, 'namespace', 'destination_workload_namespace'), 'workload', 'destination_workload'), 'workload_type', 'Deployment'));
      break;
    }
    case 'ingress-service': {
      // Scraped without honor_labels, the ingress' namespace arrives as exported_namespace; through a
      // ServiceMonitor, whose target label `service` names the controller's metrics Service, the backend
      // Service arrives as exported_service (and `service!=""` then no longer drops unrouted requests).
      const nsLabel = family.labels.includes('exported_namespace') ? 'exported_namespace' : 'namespace';
      const serviceLabel = family.labels.includes('exported_service') ? 'exported_service' : 'service';
      const routed: Matcher[] = serviceLabel === 'service' ? [] : [{ label: serviceLabel, op: '!=', value: '' }];
      const only: Matcher[] = join.only ? [{ label: serviceLabel, op: '=', value: join.only.workload }] : [];
      const union = unionOf([...routed, ...namespaceMatcher(nsLabel, scope), ...only], [nsLabel, serviceLabel, PART_LABEL]);
      branches.push(setConstant(copy(copy(union, 'namespace', nsLabel), 'workload', serviceLabel), 'workload_type', 'Service'));
      break;
    }
  }
  if (branches.length === 0) return '';
  return `sum by (${[...WORKLOAD_LABELS, ...by, PART_LABEL].join(', ')}) (${branches.map((b) => `(${b})`).join(' or ')})`;
}

/**
 * Splits parts into as few queries as fit under `maxLength` characters each (VictoriaMetrics'
 * default -search.maxQueryLen is 16 KiB; some proxies cut at 8 KiB). The number of queries depends
 * on the parts, never on the size of the fleet.
 */
export function httpAggregateQueries(scope: HttpAggregateScope, parts: readonly AggregatePart[], by: readonly string[] = [], maxLength = 12_000): string[] {
  const queries: string[] = [];
  let batch: AggregatePart[] = [];
  for (const part of parts) {
    const candidate = [...batch, part];
    if (batch.length > 0 && httpAggregateQuery(scope, candidate, by).length > maxLength) {
      queries.push(httpAggregateQuery(scope, batch, by));
      batch = [part];
    } else {
      batch = candidate;
    }
  }
  if (batch.length > 0) queries.push(httpAggregateQuery(scope, batch, by));
  return queries.filter((q) => q !== '');
}
