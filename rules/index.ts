import type { RuleModule } from '../core/analysis/rule';
import { cpuThrottling } from './cpu-throttling';
import { memoryPressure } from './memory-pressure';
import { missingPdb } from './missing-pdb';
import { overprovisioned } from './overprovisioned';

/**
 * Every rule Headroom ships, by id, alphabetically (a meta-test checks the order, and that each rule
 * has its test and its documentation page). Ids are fixed: reports, the app and exports use them.
 */
export const RULES: Readonly<Record<string, RuleModule>> = {
  'cpu-throttling': cpuThrottling,
  'memory-pressure': memoryPressure,
  'missing-pdb': missingPdb,
  overprovisioned,
};

export const ALL_RULES: readonly RuleModule[] = Object.values(RULES);
