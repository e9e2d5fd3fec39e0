/**
 * The one error type `core/export` throws. Every manifest Headroom hands out is checked first; when a check
 * fails, the error names the field (as a path in the manifest or in the builder's input) and the value, so a
 * caller can point at the number that produced it instead of showing a schema validator's raw output.
 */
export interface ManifestIssue {
  /** Dotted path with indexes, e.g. `spec.metrics[0].resource.target.averageUtilization`. */
  field: string;
  value: unknown;
  message: string;
}

export class ManifestError extends Error {
  /** The first issue's field and value; `issues` has all of them. */
  readonly field: string;
  readonly value: unknown;
  readonly issues: readonly ManifestIssue[];

  /** `subject` says which object failed, e.g. "HorizontalPodAutoscaler shop/checkout". */
  constructor(subject: string, issues: readonly [ManifestIssue, ...ManifestIssue[]]) {
    super(`${subject}: ${issues.map(describeIssue).join('; ')}`);
    this.name = 'ManifestError';
    this.field = issues[0].field;
    this.value = issues[0].value;
    this.issues = issues;
  }
}

/** Throws a ManifestError when there are issues; the usual ending of a check that collects them all. */
export function throwIfIssues(subject: string, issues: readonly ManifestIssue[]): void {
  const [first, ...rest] = issues;
  if (first) throw new ManifestError(subject, [first, ...rest]);
}

function describeIssue(issue: ManifestIssue): string {
  return `${issue.field} ${issue.message} (got ${showValue(issue.value)})`;
}

function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // NaN and Infinity are what most often gets here, and JSON would print them as null.
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
