import type { RuleModule } from '../core/analysis/rule';

/**
 * Every rule Headroom ships, by id, alphabetically (a meta-test checks the order, and that each rule
 * has its test and its documentation page). Ids are fixed: reports, the app and exports use them.
 */
export const RULES: Readonly<Record<string, RuleModule>> = {};

export const ALL_RULES: readonly RuleModule[] = Object.values(RULES);
