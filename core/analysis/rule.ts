import type { Evidence, Severity, TargetRef } from '../api/report';
import type { Feature } from '../prometheus/catalog';
import type { AnalysisContext } from './context';

/**
 * The contract of a rule (rules/<id>.ts): metadata, and a pure `evaluate` over the analysis context.
 * Rules never query and never throw on missing data: what they cannot judge they report as not
 * evaluated, with what was missing — a silent pass would be a lie.
 */
export type RuleCategory = 'saturation' | 'autoscaling' | 'resources' | 'reliability' | 'data';

export interface RuleMeta {
  id: string;
  title: string;
  defaultSeverity: Severity;
  category: RuleCategory;
  /** Metric families (catalog features) the rule needs; the engine reports it not evaluated without them. */
  requires: readonly Feature[];
  /** Kubernetes objects (a cluster or manifests) are needed, not only metrics. */
  needsKubernetes?: boolean;
  /**
   * A weak signal (throttling, an HPA at max…): the engine keeps its findings at `info` unless the rule
   * marks them symptomatic — a symptom users feel shows on the same workload.
   */
  weakSignal?: boolean;
  /** One sentence: what it detects. */
  description: string;
  /** Repository path of the rule's documentation page. */
  docs: string;
}

/** A recommendation a finding points to; the engine turns it into an index into `recommendations`. */
export interface RecommendationLink {
  kind: 'resources' | 'hpa' | 'pdb';
  target: TargetRef;
  container?: string;
}

export interface RuleFinding {
  severity: Severity;
  target: TargetRef;
  summary: string;
  evidence: Evidence[];
  remediation: string;
  /** Whether a symptom users feel (latency, errors, timeouts) shows on the same workload. */
  symptomatic?: boolean;
  recommendation?: RecommendationLink;
}

export interface RuleNotEvaluated {
  target: TargetRef | null;
  missing: string[];
}

export interface RuleResult {
  findings: RuleFinding[];
  notEvaluated: RuleNotEvaluated[];
}

export interface RuleModule {
  meta: RuleMeta;
  evaluate(context: AnalysisContext): RuleResult;
}
