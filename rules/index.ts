import type { RuleModule } from '../core/analysis/rule';
import { consumerLag } from './consumer-lag';
import { cpuThrottling } from './cpu-throttling';
import { hotShard } from './hot-shard';
import { memoryPressure } from './memory-pressure';
import { missingPdb } from './missing-pdb';
import { overprovisioned } from './overprovisioned';
import { sloBurn } from './slo-burn';

/**
 * Every rule Headroom ships, by id, alphabetically (a meta-test checks the order, and that each rule
 * has its test and its documentation page). Ids are fixed: reports, the app and exports use them.
 */
export const RULES: Readonly<Record<string, RuleModule>> = {
  'consumer-lag': consumerLag,
  'cpu-throttling': cpuThrottling,
  'hot-shard': hotShard,
  'memory-pressure': memoryPressure,
  'missing-pdb': missingPdb,
  overprovisioned,
  'slo-burn': sloBurn,
};

export const ALL_RULES: readonly RuleModule[] = Object.values(RULES);
