import { describe, expect, it } from 'vitest';
import type { AnalysisContext, ConsumerGroupFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { hotShard } from '../../rules/hot-shard';
import { consumerGroup, context, shardGroup } from './fixtures';

/**
 * Hot partitions and hot Redis instances (order.placed: partition 3 takes 55 % of 6; redis-cache: one
 * instance 68 % of 3) against the controls' shapes (partitions within ±4 %, evenly loaded shards, a
 * consumer group that keeps up on the hot topic), small groups where max/avg cannot reach the prior
 * art's ratio, and idle groups whose skew is only a few messages or commands.
 */
const kafka = (loads: number[], name = 'order.placed'): ReturnType<typeof shardGroup> => shardGroup({ name, loads });
const redis = (loads: number[], name = 'redis-cache'): ReturnType<typeof shardGroup> =>
  ({ ...shardGroup({ name, loads, kind: 'redis', unit: 'commands/s', target: { namespace: 'data', kind: 'StatefulSet', name } }), shards: loads.map((load, i) => ({ id: `${name}-${i}`, load, share: load / loads.reduce((a, b) => a + b, 0) })) });
const group = (input: Partial<ConsumerGroupFacts> & { lags: number[]; maxLags?: number[] }): ConsumerGroupFacts => {
  const g = consumerGroup({ group: 'shipping', topic: 'order.placed', ...input });
  return { ...g, partitions: g.partitions.map((p, i) => ({ ...p, maxLag: Math.max(p.lag, input.maxLags?.[i] ?? 0) })) };
};
const balancedOrders = kafka([8.4, 8.4, 8.4, 8.4, 8.4, 8.4]);

interface Case {
  name: string;
  ctx: AnalysisContext;
  target?: string;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const fires: Case[] = [
  {
    name: 'Kafka: partition 3 takes 55 % of 6',
    ctx: context({ shardGroups: [kafka([4.5, 4.5, 4.5, 27.6, 4.5, 4.5])] }),
    target: 'kafka/KafkaTopic/order.placed',
    summary: [/Partition 3 of order\.placed receives 55 %/, /27\.6 messages\/s/, /17 % each/, /average 4\.5 messages\/s/],
  },
  {
    name: 'Redis: one instance takes 68 % of 3',
    ctx: context({ shardGroups: [redis([77, 327, 77])] }),
    target: 'data/StatefulSet/redis-cache',
    summary: [/redis-cache-1 processes 68 %/, /327 commands\/s/, /33 % each/, /average 77 commands\/s/],
  },
  {
    name: 'Kafka, two partitions: 79 % on one (max/avg is only 1.6, hot vs the other is 3.75)',
    ctx: context({ shardGroups: [kafka([30, 8], 'payments')] }),
    target: 'kafka/KafkaTopic/payments',
    summary: [/Partition 0 of payments receives 79 %/, /50 % each/],
  },
  {
    name: 'Redis, two instances: 75 % on one',
    ctx: context({ shardGroups: [redis([900, 300], 'redis-pair')] }),
    target: 'data/StatefulSet/redis-pair',
    summary: [/redis-pair-0 processes 75 %/],
  },
  {
    name: 'two hot partitions of 12 are both named',
    ctx: context({ shardGroups: [kafka([30, 30, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], 'clicks')] }),
    target: 'kafka/KafkaTopic/clicks',
    summary: [/Partitions 0 and 1 of clicks receive 27 % and 27 %/, /average 5 messages\/s/],
  },
  {
    name: 'balanced produce, lag piled on one partition now: a slow key',
    ctx: context({ shardGroups: [kafka([10, 10, 10, 10], 'invoices')], consumerGroups: [group({ group: 'billing', topic: 'invoices', lags: [20, 30, 40_000, 25], produceRate: 40 })] }),
    target: 'kafka/KafkaTopic/invoices',
    summary: [/billing's lag sits on partition 2: 40,000 of 40,075 messages now/, /about 67 min of its production/, /Produce is not skewed across the partitions/],
  },
  {
    name: 'lag peaked on one partition in the window (past five minutes of its production)',
    ctx: context({ shardGroups: [kafka([10, 10, 10, 10], 'invoices')], consumerGroups: [group({ group: 'billing', topic: 'invoices', lags: [20, 30, 25, 25], maxLags: [60, 60, 20_000, 60], produceRate: 40 })] }),
    target: 'kafka/KafkaTopic/invoices',
    summary: [/billing's lag peaked on partition 2: 20,000 of 20,180 messages at the peak/],
  },
  {
    name: 'hot topic and its lagging group: one finding with both',
    ctx: context({ shardGroups: [kafka([4.5, 4.5, 4.5, 27.6, 4.5, 4.5])], consumerGroups: [group({ lags: [23, 19, 9, 151_907, 19, 18], produceRate: 50.1 })] }),
    target: 'kafka/KafkaTopic/order.placed',
    summary: [/Partition 3 of order\.placed/, /shipping's lag sits on partition 3: 151,907 of 151,995/],
  },
];

const silent: Case[] = [
  { name: 'inventory.changed: four partitions within ±4 %', ctx: context({ shardGroups: [kafka([8.7, 8.1, 8.4, 8.4], 'inventory.changed')] }) },
  { name: 'redis-sessions: three evenly loaded shards', ctx: context({ shardGroups: [redis([88.6, 83.4, 88.6], 'redis-sessions')] }) },
  { name: 'an idle topic: skewed, but under a message per second', ctx: context({ shardGroups: [kafka([0.5, 0.02, 0.02, 0.02], 'audit')] }) },
  { name: 'an idle Redis: skewed, but 55 commands/s more than the others', ctx: context({ shardGroups: [redis([60, 5, 5], 'redis-dev')] }) },
  { name: 'two partitions at 60/40', ctx: context({ shardGroups: [kafka([60, 40], 'pairs')] }) },
  { name: 'six partitions, the busiest 2.4× the others (under 3)', ctx: context({ shardGroups: [kafka([12, 5, 5, 5, 5, 5], 'mild')] }) },
  { name: 'three Redis instances, the busiest 1.8× the others (under 2)', ctx: context({ shardGroups: [redis([900, 500, 500], 'redis-mild')] }) },
  { name: 'a single partition cannot be skewed', ctx: context({ shardGroups: [kafka([500], 'single')] }) },
  { name: 'an empty topic', ctx: context({ shardGroups: [kafka([0, 0, 0], 'empty')] }) },
  {
    name: 'notifications keeps up on the hot topic: lag concentrated, but a few seconds of production',
    ctx: context({ shardGroups: [balancedOrders], consumerGroups: [group({ group: 'notifications', lags: [15, 26, 13, 117, 27, 10], maxLags: [31, 31, 32, 185, 31, 30], produceRate: 50.3 })] }),
  },
  {
    name: 'a rebalance blip: one partition peaked at under five minutes of its production',
    ctx: context({ shardGroups: [kafka([10, 10, 10, 10], 'invoices')], consumerGroups: [group({ group: 'billing', topic: 'invoices', lags: [20, 30, 25, 25], maxLags: [60, 60, 2_000, 60], produceRate: 40 })] }),
  },
  {
    name: 'lag on every partition: capacity (consumer-lag), not a hot shard',
    ctx: context({ shardGroups: [balancedOrders], consumerGroups: [group({ lags: [9_000, 9_500, 8_800, 9_200, 9_100, 9_300], produceRate: 50 })] }),
  },
  {
    name: 'lag concentrated but the produce rate is unknown: not weighed',
    ctx: context({ consumerGroups: [{ ...group({ lags: [20, 30, 40_000, 25] }), produceRate: null }] }),
  },
];

const notEvaluated: Case[] = [
  { name: 'no Kafka and no Redis metrics', ctx: context({ missingFeatures: ['kafka', 'redis'] }), notEvaluated: /Kafka partitions: kafka metrics are missing/ },
  { name: 'no Redis metrics: Kafka still judged', ctx: context({ missingFeatures: ['redis'], shardGroups: [kafka([4.5, 4.5, 4.5, 27.6, 4.5, 4.5])] }), target: 'kafka/KafkaTopic/order.placed', notEvaluated: /Redis instances: redis metrics are missing/ },
  {
    name: 'Redis instances not mapped to a workload',
    ctx: context({ shardGroups: [{ ...redis([77, 327, 77]), target: { namespace: 'data', kind: '', name: '' } }] }),
    notEvaluated: /not mapped to a workload/,
  },
];

const key = (t: { namespace: string; kind: string; name: string }): string => `${t.namespace}/${t.kind}/${t.name}`;

describe('hot-shard', () => {
  it.each(fires)('fires: $name', ({ ctx, target, summary }) => {
    const { findings } = runRules(ctx, [hotShard]);
    expect(findings.map((f) => key(f.target))).toEqual([target]);
    const f = findings[0];
    expect(f?.severity).toBe('warning');
    for (const re of summary ?? []) expect(f?.summary).toMatch(re);
    expect(f?.evidence.length).toBeGreaterThanOrEqual(2);
    for (const e of f?.evidence ?? []) expect(e.query.length).toBeGreaterThan(0);
    expect(f?.remediation).toMatch(/will not help/);
  });

  it.each(silent)('stays silent: $name', ({ ctx }) => {
    const { findings, notEvaluated: missing } = runRules(ctx, [hotShard]);
    expect(findings).toEqual([]);
    expect(missing).toEqual([]);
  });

  it.each(notEvaluated)('not evaluated: $name', ({ ctx, target, notEvaluated: re }) => {
    const { findings, notEvaluated: missing } = runRules(ctx, [hotShard]);
    expect(findings.map((f) => key(f.target))).toEqual(target ? [target] : []);
    expect(missing.flatMap((n) => n.missing).join('\n')).toMatch(re as RegExp);
  });

  it('says a hot Kafka key needs a key fix, a hot Redis key a sharding fix', () => {
    const { findings } = runRules(context({ shardGroups: [kafka([4.5, 4.5, 4.5, 27.6, 4.5, 4.5]), redis([77, 327, 77])] }), [hotShard]);
    const byKind = new Map(findings.map((f) => [f.target.kind, f.remediation]));
    expect(byKind.get('KafkaTopic')).toMatch(/partition key|key design/);
    expect(byKind.get('StatefulSet')).toMatch(/client-side sharding/);
    expect(byKind.get('StatefulSet')).toMatch(/--hotkeys/);
  });
});
