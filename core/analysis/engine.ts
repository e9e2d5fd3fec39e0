import type { Finding, NotEvaluated, Severity } from '../api/report';
import type { AnalysisContext } from './context';
import type { RecommendationLink, RuleModule } from './rule';

/**
 * Runs the rules over one analysis context. A rule that lacks its inputs, or fails, is reported as
 * not evaluated — never thrown, never a silent pass. Weak signals stay at `info` unless a symptom
 * shows on the same workload. Silences mark findings; they never remove them.
 */
export interface SilenceRef {
  reason: string;
  expiresAt: number;
  createdAt: number;
}

export type SilenceMatcher = (finding: { rule: string; target: Finding['target'] }) => SilenceRef | null;

export interface EngineResult {
  findings: Finding[];
  notEvaluated: NotEvaluated[];
  /** The recommendation each finding points to, by index into `findings`. */
  links: Map<number, RecommendationLink>;
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function runRules(context: AnalysisContext, rules: readonly RuleModule[], silences: SilenceMatcher = () => null): EngineResult {
  const findings: Array<{ finding: Finding; link?: RecommendationLink }> = [];
  const notEvaluated: NotEvaluated[] = [];
  for (const rule of rules) {
    const { meta } = rule;
    if (meta.needsKubernetes && !context.fleet) {
      notEvaluated.push({ rule: meta.id, target: null, missing: ['Kubernetes objects: connect a cluster (--kubeconfig) or a manifest folder (--manifests)'] });
      continue;
    }
    const missing = meta.requires.filter((f) => context.missing.has(f));
    if (missing.length > 0) {
      const why = context.catalog.features.filter((f) => missing.includes(f.feature)).map((f) => f.missing);
      notEvaluated.push({ rule: meta.id, target: null, missing: why.length > 0 ? why : missing });
      continue;
    }
    let result: ReturnType<RuleModule['evaluate']>;
    try {
      result = rule.evaluate(context);
    } catch (error) {
      notEvaluated.push({ rule: meta.id, target: null, missing: [`the rule failed: ${error instanceof Error ? error.message : String(error)}`] });
      continue;
    }
    for (const n of result.notEvaluated) notEvaluated.push({ rule: meta.id, target: n.target, missing: n.missing });
    for (const f of result.findings) {
      const severity: Severity = meta.weakSignal && !f.symptomatic ? 'info' : f.severity;
      const finding: Finding = {
        rule: meta.id,
        severity,
        target: f.target,
        summary: f.summary,
        evidence: f.evidence,
        remediation: f.remediation,
        docs: meta.docs,
        silenced: silences({ rule: meta.id, target: f.target }),
      };
      findings.push(f.recommendation ? { finding, link: f.recommendation } : { finding });
    }
  }
  findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] ||
      a.finding.rule.localeCompare(b.finding.rule) ||
      `${a.finding.target.namespace}/${a.finding.target.kind}/${a.finding.target.name}`.localeCompare(`${b.finding.target.namespace}/${b.finding.target.kind}/${b.finding.target.name}`),
  );
  const links = new Map<number, RecommendationLink>();
  findings.forEach((f, i) => {
    if (f.link) links.set(i, f.link);
  });
  return { findings: findings.map((f) => f.finding), notEvaluated, links };
}
