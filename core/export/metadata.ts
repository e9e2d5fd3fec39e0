/**
 * What every object Headroom proposes carries about where it came from. Annotations, not labels: labels are
 * for selecting, and `app.kubernetes.io/managed-by` would claim Headroom manages the object, which it never
 * does; the user's own tooling applies it.
 */
import type { WorkloadKind } from '../kubernetes/model';
import { ManifestError } from './errors';

export const GENERATED_FROM_ANNOTATION = 'headroom.dev/generated-from';
export const RATIONALE_ANNOTATION = 'headroom.dev/rationale';

/** Longer rationales are cut: the full explanation lives in the report, the annotation is a pointer to it. */
const RATIONALE_MAX_CHARACTERS = 200;

export interface Provenance {
  /** The finding or recommendation id the object answers, e.g. "HPA-ON-CPU/shop/checkout". */
  generatedFrom: string;
  /** One sentence on why, e.g. "scales on RPS: p99 latency follows RPS, not CPU". */
  rationale: string;
}

/** The workload a proposal is about. All three kinds are `apps/v1`. */
export interface WorkloadRef {
  namespace: string;
  kind: WorkloadKind;
  name: string;
}

export function provenanceAnnotations(provenance: Provenance): Record<string, string> {
  const generatedFrom = provenance.generatedFrom.trim();
  if (generatedFrom === '') {
    throw new ManifestError('Provenance', [
      { field: 'generatedFrom', value: provenance.generatedFrom, message: 'must name the finding or recommendation' },
    ]);
  }
  // One line: a multi-line annotation renders as a block scalar that reviewers skim past.
  const rationale = provenance.rationale.replace(/\s+/g, ' ').trim();
  const short =
    rationale.length > RATIONALE_MAX_CHARACTERS ? `${rationale.slice(0, RATIONALE_MAX_CHARACTERS - 1)}…` : rationale;
  return { [GENERATED_FROM_ANNOTATION]: generatedFrom, [RATIONALE_ANNOTATION]: short };
}
