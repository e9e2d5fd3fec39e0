import type { RuleModule } from '../core/analysis/rule';
import { cacheStampede } from './cache-stampede';
import { connectionPoolExhaustion } from './connection-pool-exhaustion';
import { consumerLag } from './consumer-lag';
import { cpuThrottling } from './cpu-throttling';
import { hotShard } from './hot-shard';
import { hpaAmplifiesDb } from './hpa-amplifies-db';
import { hpaCpuMisuse } from './hpa-cpu-misuse';
import { hpaFlapping } from './hpa-flapping';
import { hpaMaxedOut } from './hpa-maxed-out';
import { memoryPressure } from './memory-pressure';
import { missingPdb } from './missing-pdb';
import { overprovisioned } from './overprovisioned';
import { sloBurn } from './slo-burn';

/**
 * Every rule Headroom ships, by id, alphabetically (a meta-test checks the order, and that each rule
 * has its test and its documentation page). Ids are fixed: reports, the app and exports use them.
 */
export const RULES: Readonly<Record<string, RuleModule>> = {
  'cache-stampede': cacheStampede,
  'connection-pool-exhaustion': connectionPoolExhaustion,
  'consumer-lag': consumerLag,
  'cpu-throttling': cpuThrottling,
  'hot-shard': hotShard,
  'hpa-amplifies-db': hpaAmplifiesDb,
  'hpa-cpu-misuse': hpaCpuMisuse,
  'hpa-flapping': hpaFlapping,
  'hpa-maxed-out': hpaMaxedOut,
  'memory-pressure': memoryPressure,
  'missing-pdb': missingPdb,
  overprovisioned,
  'slo-burn': sloBurn,
};

export const ALL_RULES: readonly RuleModule[] = Object.values(RULES);
