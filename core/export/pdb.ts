/**
 * policy/v1 PodDisruptionBudget proposals.
 *
 * The selector is the workload's own `spec.selector`, every label and expression of it. Polaris (#999)
 * counts a PDB as covering a Deployment when any single label is shared, so a PDB on `team: payments`
 * "protects" every payments service while really budgeting them as one pool; a PDB built from one shared
 * label has the same flaw. The workload's selector is also what its controller uses and, for apps/v1, it is
 * immutable, so the PDB keeps matching across rollouts even when template labels such as `version` change.
 */
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IPodDisruptionBudgetSpec } from 'kubernetes-models/policy/v1/PodDisruptionBudgetSpec';
import type { DisruptionBound, Workload } from '../kubernetes/model';
import { matchesLabelSelector } from '../kubernetes/selectors';
import { ManifestError } from './errors';
import { type Provenance, provenanceAnnotations } from './metadata';
import { validateKubernetesObject } from './validate';

export interface PdbInput extends Provenance {
  workload: Pick<Workload, 'kind' | 'namespace' | 'name' | 'selector' | 'podTemplateLabels'>;
  /** Defaults to the workload's name. */
  name?: string;
  /** Exactly one of the two; a count of pods or a fraction of the expected pods (0.5 is "50%"). */
  minAvailable?: DisruptionBound;
  maxUnavailable?: DisruptionBound;
}

/** A validated policy/v1 PDB; throws a ManifestError naming the field when the input makes an invalid one. */
export function pdbManifest(input: PdbInput): IPodDisruptionBudget {
  const { workload } = input;
  const { matchLabels = {}, matchExpressions = [] } = workload.selector;
  // Copied, not shared, and without empty parts: `matchExpressions: []` in a proposal is only noise.
  const selector = {
    ...(Object.keys(matchLabels).length > 0 && { matchLabels: { ...matchLabels } }),
    ...(matchExpressions.length > 0 && {
      matchExpressions: matchExpressions.map((requirement) => ({
        ...requirement,
        ...(requirement.values && { values: [...requirement.values] }),
      })),
    }),
  };
  // A workload whose selector misses its own pods is broken already (the API server refuses it); a PDB
  // copied from it would protect nothing, so say so rather than propose it.
  if (!matchesLabelSelector(selector, workload.podTemplateLabels)) {
    throw new ManifestError(`${workload.kind} ${workload.namespace}/${workload.name}`, [
      {
        field: 'workload.selector',
        value: workload.selector,
        message: "does not select the workload's own pod template labels",
      },
    ]);
  }
  const pdb: IPodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: input.name ?? workload.name,
      namespace: workload.namespace,
      annotations: provenanceAnnotations(input),
    },
    spec: {
      selector,
      ...(input.minAvailable && { minAvailable: intOrPercent(input.minAvailable) }),
      ...(input.maxUnavailable && { maxUnavailable: intOrPercent(input.maxUnavailable) }),
    },
  };
  validateKubernetesObject(pdb);
  return pdb;
}

/** Pods as an integer, a fraction as "N%" rounded to the whole percent the API server accepts. */
function intOrPercent(bound: DisruptionBound): NonNullable<IPodDisruptionBudgetSpec['minAvailable']> {
  return bound.type === 'count' ? bound.value : `${Math.round(bound.value * 100)}%`;
}
