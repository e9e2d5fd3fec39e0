/**
 * Label selectors as Deployments, PodDisruptionBudgets and HPA metrics write them (`matchLabels` plus
 * `matchExpressions`), with apimachinery's semantics (`metav1.LabelSelectorAsSelector`). Which PDB protects
 * which workload is decided here, so a near miss (a selector on `app: checkout` against pods labelled
 * `app: checkout-v2`) must not count.
 */
export type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * What is wrong with a selector, one sentence per problem; empty when it is valid. The API server refuses
 * such selectors at admission, so they turn up only in manifest folders.
 */
export function labelSelectorProblems(selector: LabelSelector): string[] {
  const problems: string[] = [];
  for (const requirement of selector.matchExpressions ?? []) {
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          problems.push(`"${requirement.key} ${requirement.operator}" needs at least one value`);
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          problems.push(`"${requirement.key} ${requirement.operator}" must not list values`);
        }
        break;
      default:
        problems.push(
          `unknown operator "${requirement.operator}" on "${requirement.key}" (In, NotIn, Exists or DoesNotExist)`,
        );
    }
  }
  return problems;
}

/**
 * Whether `labels` satisfy every requirement of `selector`.
 *
 * - A missing selector (null or undefined) selects nothing: that is policy/v1's rule for PDBs, and the safe
 *   reading everywhere else, because a workload is never "protected" by accident.
 * - An empty selector (`{}`) selects everything, again as policy/v1 defines it.
 * - An invalid selector (see `labelSelectorProblems`) selects nothing, as the API server would not accept it.
 * - `NotIn` is satisfied by a missing label, as in Kubernetes.
 */
export function matchesLabelSelector(
  selector: LabelSelector | null | undefined,
  labels: Labels | null | undefined,
): boolean {
  if (!selector) return false;
  if (labelSelectorProblems(selector).length > 0) return false;
  const present = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(present, key) || present[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(present, key);
    const value = present[key];
    const satisfied =
      operator === 'In'
        ? has && values.includes(value ?? '')
        : operator === 'NotIn'
          ? !has || !values.includes(value ?? '')
          : operator === 'Exists'
            ? has
            : !has;
    if (!satisfied) return false;
  }
  return true;
}
