import type { AnalysisContext, HpaFacts, Timeline } from '../../core/analysis/context';
import type { RuleNotEvaluated } from '../../core/analysis/rule';
import type { TargetRef } from '../../core/api/report';
import { workloadOf } from './signals';

/**
 * What the HPA rules (hpa-cpu-misuse, hpa-maxed-out, hpa-flapping) share: which CPU target an HPA
 * scales on, the CPU utilisation it sees, and the object it scales (where `hpa` recommendations
 * attach).
 */

/**
 * The HPA controller leaves replicas alone while current ÷ target utilisation is within 10 % of 1
 * (`--horizontal-pod-autoscaler-tolerance`, default 0.1): only above 1.1 does it want more pods.
 */
export const HPA_TOLERANCE = 0.1;

/** The CPU utilisation target (a ratio of requests) the HPA scales on, or null if it does not. */
export function cpuTarget(h: HpaFacts): number | null {
  const m = h.metrics.find((x) => x.name === 'cpu' && x.targetType === 'utilization' && x.target !== null && x.target > 0);
  return m?.target ?? null;
}

/**
 * The CPU utilisation the HPA acts on, as a ratio of requests: kube-state-metrics' own reading of the
 * HPA status when present, else Σ CPU used ÷ Σ CPU requested over the scale target's pods — the same
 * quotient the controller computes (it averages usage over requests across the ready pods).
 */
export function cpuUtilizationSeen(context: AnalysisContext, h: HpaFacts): { timeline: Timeline; source: string } | null {
  if (h.timeline.cpuUtilization && h.timeline.cpuUtilization.points.length > 0) return { timeline: h.timeline.cpuUtilization, source: 'the HPA status' };
  const w = h.target ? workloadOf(context, h.namespace, h.target.name) : undefined;
  const t = w?.timeline.cpuUtilization;
  return t && t.points.length > 0 ? { timeline: t, source: 'CPU used ÷ requested over its pods' } : null;
}

/** The workload the HPA scales, as findings and `hpa` recommendations name it. */
export function scaleTarget(h: HpaFacts): TargetRef | null {
  return h.target ? { namespace: h.namespace, kind: h.target.kind, name: h.target.name } : null;
}

/** Metrics the HPA scales on besides CPU utilisation, as people read them (`memory`, `http_requests`). */
export function otherMetrics(h: HpaFacts): string[] {
  return h.metrics.filter((m) => !(m.name === 'cpu' && m.targetType === 'utilization')).map((m) => m.name);
}

/** The values of a timeline at the given times, in time order. */
export function valuesAt(t: Timeline | null | undefined, times: ReadonlySet<number>): number[] {
  return (t?.points ?? []).filter((p) => times.has(p.time) && p.value !== null && Number.isFinite(p.value)).map((p) => p.value as number);
}

/** Why an HPA whose metric list is empty cannot be judged. */
export const UNKNOWN_METRICS =
  'what the HPA scales on: kube_horizontalpodautoscaler_spec_target_metric has no series for it and no HPA object was read (connect the cluster or a manifest folder)';

/**
 * Not evaluated for any HPA when kube-state-metrics reports none and no Kubernetes objects were read:
 * an empty list then means "unknown", not "no autoscalers".
 */
export function hpasUnknown(context: AnalysisContext): RuleNotEvaluated | null {
  if (context.hpas.length > 0 || !context.missing.has('hpa') || context.fleet) return null;
  const why = context.catalog.features.find((f) => f.feature === 'hpa')?.missing;
  return { target: null, missing: [why || 'kube_horizontalpodautoscaler_* (kube-state-metrics) is missing and no Kubernetes objects were read'] };
}
