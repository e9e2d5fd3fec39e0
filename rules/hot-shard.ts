import type { AnalysisContext, ConsumerGroupFacts, ShardFacts, ShardGroupFacts } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import type { Evidence, TargetRef } from '../core/api/report';
import { count, hotShards, LAG_FLOOR_MESSAGES, LAG_FLOOR_SECONDS, listOf } from './lib/shards';
import { evidence, lastOf, percent, span } from './lib/signals';

/**
 * One shard does the work of several. A Kafka partition is read by one consumer of a group and a
 * Redis instance runs commands on one thread, so the hot shard saturates while the others idle, and
 * neither more consumers nor more replicas take its load: the fix is in how keys are spread.
 */

/** Kafka produce skew: kafka_exporter practice, max/avg > 3 (diagnostics.md §5b/§6), hot vs the others. */
export const KAFKA_PRODUCE_RATIO = 3;
/** Redis node skew: > 2 (diagnostics.md §5b/§6; the same bar as Elasticsearch and Cassandra nodes). */
export const REDIS_RATIO = 2;
/** Lag concentration: max/(avg + 1) > 5 (diagnostics.md §5b). */
export const LAG_RATIO = 5;
/**
 * Absolute floors, so idle groups and tiny differences never fire: a hot partition must receive at
 * least one message per second more than the others (below that even a consumer spending 100 ms a
 * message idles most of the time); a hot Redis instance at least 100 commands/s more (a Redis
 * thread serves tens of thousands, and redis_exporter's own scrapes add about one).
 */
export const KAFKA_MIN_EXCESS = 1;
export const REDIS_MIN_EXCESS = 100;
/**
 * A lag peak counts only past five minutes of the partition's production: a rebalance stalls a
 * partition for at most `max.poll.interval.ms` (5 min by default) before the member is replaced, so a
 * healthy group's worst moment stays below that. Lag now uses the keep-up floor of lib/shards.
 */
export const LAG_PEAK_FLOOR_SECONDS = 300;

interface HotLag {
  group: ConsumerGroupFacts;
  when: 'now' | 'peak';
  partitions: Array<{ id: string; load: number }>;
  othersMean: number;
  total: number;
}

function produceSkew(group: ShardGroupFacts | undefined): { hot: ShardFacts[]; othersMean: number } | null {
  if (!group || group.shards.length < 2) return null;
  const { hot, othersMean } = hotShards(group.shards, KAFKA_PRODUCE_RATIO);
  const material = hot.filter((s) => s.load - othersMean >= KAFKA_MIN_EXCESS);
  return material.length > 0 ? { hot: material, othersMean } : null;
}

/** Where a consumer group's lag piles up: on few partitions now, else at its peak in the window. */
function lagSkew(c: ConsumerGroupFacts, rates: ReadonlyMap<string, number>): HotLag | null {
  // Without the produce rate the lag cannot be weighed against production (consumer-lag says so).
  if (c.partitions.length < 2 || c.produceRate === null) return null;
  const fallback = c.produceRate / c.partitions.length;
  const rateOf = (id: string): number => rates.get(id) ?? fallback;
  const attempt = (when: 'now' | 'peak', floorSeconds: number): HotLag | null => {
    const shards = c.partitions.map((p) => ({ id: p.partition, load: when === 'now' ? p.lag : p.maxLag }));
    const { hot, othersMean } = hotShards(shards, LAG_RATIO);
    const material = hot.filter((s) => s.load >= Math.max(LAG_FLOOR_MESSAGES, floorSeconds * rateOf(s.id)));
    return material.length > 0 ? { group: c, when, partitions: material, othersMean, total: shards.reduce((a, s) => a + s.load, 0) } : null;
  };
  return attempt('now', LAG_FLOOR_SECONDS) ?? attempt('peak', LAG_PEAK_FLOOR_SECONDS);
}

function kafkaFinding(target: TargetRef, group: ShardGroupFacts | undefined, consumers: readonly ConsumerGroupFacts[]): RuleFinding | null {
  const rates = new Map((group?.shards ?? []).map((s) => [s.id, s.load]));
  const produce = produceSkew(group);
  const lags = consumers.map((c) => lagSkew(c, rates)).filter((l): l is HotLag => l !== null);
  if (!produce && lags.length === 0) return null;

  const topic = target.name;
  const parts: string[] = [];
  const items: Evidence[] = [];
  if (produce && group) {
    const ids = produce.hot.map((s) => s.id);
    const shares = produce.hot.map((s) => percent(s.share)).join(' and ');
    const loads = produce.hot.map((s) => count(s.load)).join(' and ');
    parts.push(
      `${listOf('Partition', ids)} of ${topic} receive${ids.length > 1 ? '' : 's'} ${shares} of its messages (${loads} messages/s over the window) ` +
        `where ${group.shards.length} balanced partitions would take ${percent(1 / group.shards.length)} each; the other partitions average ${count(produce.othersMean)} messages/s.`,
    );
    for (const s of produce.hot) {
      items.push(evidence(`messages/s produced to partition ${s.id} (window average)`, group.query, s.load, 'messages/s'));
      items.push(evidence(`share of ${topic}'s messages on partition ${s.id}`, group.query, s.share, 'ratio'));
    }
    items.push(evidence('messages/s per other partition (mean)', group.query, produce.othersMean, 'messages/s'));
  }
  for (const l of lags) {
    const ids = l.partitions.map((p) => p.id);
    const held = l.partitions.reduce((a, p) => a + p.load, 0);
    const rateOfHot = l.partitions.reduce((a, p) => a + (rates.get(p.id) ?? 0), 0);
    const behind = rateOfHot > 0 ? ` (about ${span(held / rateOfHot)} of ${ids.length > 1 ? 'their' : 'its'} production)` : '';
    parts.push(
      `Consumer group ${l.group.group}'s lag ${l.when === 'now' ? 'sits' : 'peaked'} on ${listOf('partition', ids)}: ` +
        `${count(held)} of ${count(l.total)} messages ${l.when === 'now' ? 'now' : 'at the peak of each partition in the window'}${behind}.`,
    );
    const when = l.when === 'now' ? 'now' : 'max over the window';
    for (const p of l.partitions) items.push(evidence(`${l.group.group}: lag on partition ${p.id} (${when})`, l.group.query, p.load, 'messages'));
    items.push(evidence(`${l.group.group}: lag per other partition (mean, ${when})`, l.group.query, l.othersMean, 'messages'));
    if (l.group.lag) items.push(evidence(`${l.group.group}: total lag on ${topic}`, l.group.lag.query, lastOf(l.group.lag), 'messages', l.group.lag));
  }
  if (!produce && group && group.shards.length >= 2) {
    parts.push(`Produce is not skewed across the partitions (none takes ${KAFKA_PRODUCE_RATIO}× the others' messages), so the slow part is a key that costs more to process, or the consumer that owns the partition.`);
  }

  const remediation = produce
    ? 'Fix the key design: find the heavy key (a large tenant or seller, a constant key) that hashes to the hot partition and spread it — a composite or salted key for that key, ' +
      'or a custom partitioner for known heavy keys, keeping per-key ordering only where it is needed. Adding partitions rehashes the other keys but leaves a single key on one partition, ' +
      'and adding consumers or replicas will not help: one partition is read by one consumer of a group.'
    : 'Find the slow key or the slow member: look at what the lagging partition carries (a key whose messages cost more, retries of a poison message) and at the consumer instance that owns it. ' +
      'Make that processing cheaper or move the heavy key to its own partition or topic; adding consumers or replicas will not help, since one partition is read by one consumer of a group.';
  return { severity: 'warning', target, summary: parts.join(' '), evidence: items, remediation };
}

function redisFinding(group: ShardGroupFacts): RuleFinding | null {
  if (group.shards.length < 2) return null;
  const { hot, othersMean } = hotShards(group.shards, REDIS_RATIO);
  const material = hot.filter((s) => s.load - othersMean >= REDIS_MIN_EXCESS);
  if (material.length === 0) return null;
  const label = `${group.target.namespace}/${group.target.name}`;
  const ids = material.map((s) => s.id);
  const summary =
    `${listOf('', ids)} process${ids.length > 1 ? '' : 'es'} ${material.map((s) => percent(s.share)).join(' and ')} of ${label}'s commands ` +
    `(${material.map((s) => count(s.load)).join(' and ')} commands/s over the window) where ${group.shards.length} balanced instances would take ${percent(1 / group.shards.length)} each; ` +
    `the other instances average ${count(othersMean)} commands/s.`;
  return {
    severity: 'warning',
    target: group.target,
    summary,
    evidence: [
      ...material.flatMap((s) => [
        evidence(`commands/s on ${s.id} (window average)`, group.query, s.load, 'commands/s'),
        evidence(`share of ${label}'s commands on ${s.id}`, group.query, s.share, 'ratio'),
      ]),
      evidence('commands/s per other instance (mean)', group.query, othersMean, 'commands/s'),
    ],
    remediation:
      'Find the hot keys — Prometheus cannot name them: `redis-cli --hotkeys` (with an LFU maxmemory-policy) or a short MONITOR sample on the hot instance. ' +
      'Then spread them: client-side sharding over more keys (split a big hash or set into sub-keys, salt a hot counter), drop hash tags that pin many keys to one slot, ' +
      'or keep read-hot keys in a short-lived in-process cache. A Redis instance runs commands on one thread, so adding replicas or instances will not help while the load follows one key.',
  };
}

export const hotShard: RuleModule = {
  meta: {
    id: 'hot-shard',
    title: 'Hot shard, partition or instance',
    defaultSeverity: 'warning',
    category: 'data',
    // Kafka or Redis is enough: the rule says below which one it could not judge.
    requires: [],
    description: 'One Kafka partition or Redis instance takes a disproportionate share of the load or of the consumer lag, so it saturates while the others idle.',
    docs: 'docs/rules/hot-shard.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    for (const feature of ['kafka', 'redis'] as const) {
      if (!context.missing.has(feature)) continue;
      const why = context.catalog.features.find((f) => f.feature === feature)?.missing || `${feature} metrics are missing`;
      out.notEvaluated.push({ target: null, missing: [`${feature === 'kafka' ? 'Kafka partitions' : 'Redis instances'}: ${why}`] });
    }

    const topics = new Map<string, { target: TargetRef; group?: ShardGroupFacts; consumers: ConsumerGroupFacts[] }>();
    const topicEntry = (namespace: string, name: string): { target: TargetRef; group?: ShardGroupFacts; consumers: ConsumerGroupFacts[] } => {
      const k = `${namespace}\u0000${name}`;
      const entry = topics.get(k) ?? { target: { namespace, kind: 'KafkaTopic', name }, consumers: [] };
      topics.set(k, entry);
      return entry;
    };
    for (const g of context.shardGroups) {
      if (g.kind === 'kafka-topic') {
        topicEntry(g.target.namespace, g.target.name).group = g;
        continue;
      }
      if (!g.target.name) {
        out.notEvaluated.push({ target: null, missing: [`Redis instances ${g.shards.map((s) => s.id).join(', ')}: not mapped to a workload (kube_pod_owner), so they cannot be grouped into one set of shards`] });
        continue;
      }
      const f = redisFinding(g);
      if (f) out.findings.push(f);
    }
    for (const c of context.consumerGroups) topicEntry(c.namespace, c.topic).consumers.push(c);
    for (const t of topics.values()) {
      const f = kafkaFinding(t.target, t.group, t.consumers);
      if (f) out.findings.push(f);
    }
    return out;
  },
};
