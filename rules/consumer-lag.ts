import type { AnalysisContext, ConsumerGroupFacts, ShardGroupFacts } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import type { Evidence, Severity, TargetRef } from '../core/api/report';
import type { RangePoint } from '../core/prometheus/query-api';
import { count, hotShards, lagFloor, listOf } from './lib/shards';
import { episodes, evidence, percent, span } from './lib/signals';

/**
 * A Kafka consumer group falling behind its topic. The lag (messages produced, not yet committed) is
 * judged against what the topic produces, so a busy topic's normal in-flight trail never counts; it
 * fires when the lag grows now, or grows day after day and only drains when traffic falls. Where
 * the lag sits decides the fix: on few partitions it is a hot partition or a slow key (more consumers
 * cannot help), on all of them the group lacks capacity.
 */

/** Growth is judged over the last hour (LAG-GROWING's 15 minutes, widened to hold several timeline steps). */
export const RECENT_SECONDS = 3600;
/** Fewest points a growth slope is fitted on. */
export const MIN_RECENT_POINTS = 3;
/**
 * A growth episode must stay above the keep-up floor this long: a rebalance or a deploy stalls a
 * partition for seconds to a few minutes, then the group catches up.
 */
export const MIN_EPISODE_SECONDS = 1800;
/** Episodes that make a pattern (e.g. every evening) rather than one incident that has drained. */
export const RECURRING_EPISODES = 2;
/**
 * Critical when the group is, or within a day at the current growth will be, an hour of production
 * behind: an hour-stale pipeline (shipping notices, search index, e-mails) is what users notice, and
 * a lag that passes it within a day will not wait for the next working day to be looked at.
 */
export const CRITICAL_BEHIND_SECONDS = 3600;
export const CRITICAL_HORIZON_SECONDS = 86400;
/** Lag concentrated on few partitions: max/(avg + 1) > 5 (diagnostics.md §5b), hot vs the others. */
export const CONCENTRATION_RATIO = 5;

interface Judgement {
  severity: Severity;
  summary: string;
  evidence: Evidence[];
  remediation: string;
}

/** Least-squares slope (per second) of the points. */
function slopeOf(points: readonly RangePoint[]): number {
  const xs = points.map((p) => p.time);
  const ys = points.map((p) => p.value as number);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

function utc(time: number): string {
  return `${new Date(time * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function judge(c: ConsumerGroupFacts, produceRate: number, topicGroup: ShardGroupFacts | undefined): Judgement | null {
  const lag = c.lag;
  const points = (lag?.points ?? []).filter((p) => p.value !== null && Number.isFinite(p.value));
  // Nothing produced in the window: the lag cannot have grown.
  if (!lag || points.length < MIN_RECENT_POINTS || produceRate <= 0) return null;
  const floor = lagFloor(produceRate);
  const last = points[points.length - 1] as RangePoint;
  const now = last.value as number;
  const recent = points.filter((p) => p.time >= last.time - Math.max(RECENT_SECONDS, MIN_RECENT_POINTS * lag.step));
  const slope = recent.length >= MIN_RECENT_POINTS ? slopeOf(recent) : 0;
  const rise = slope * (last.time - (recent[0] as RangePoint).time);
  const growing = now >= floor && slope > 0 && rise >= floor;

  const above = new Set(points.filter((p) => (p.value as number) >= floor).map((p) => p.time));
  const sustained = episodes(above, lag.step)
    .filter((e) => e.end - e.start + lag.step >= MIN_EPISODE_SECONDS)
    .map((e) => {
      const peak = points.filter((p) => p.time >= e.start && p.time <= e.end).reduce((a, b) => ((b.value as number) > (a.value as number) ? b : a));
      return { ...e, peak };
    });
  const recurring = sustained.length >= RECURRING_EPISODES;
  if (!growing && !recurring) return null;

  const hourOfProduction = CRITICAL_BEHIND_SECONDS * produceRate;
  const projected = growing ? now + slope * CRITICAL_HORIZON_SECONDS : 0;
  const worstPeak = sustained.reduce<RangePoint | null>((a, e) => (!a || (e.peak.value as number) > (a.value as number) ? e.peak : a), null);
  const peakLag = (worstPeak?.value as number | undefined) ?? now;
  const critical = (growing && projected >= hourOfProduction) || (recurring && peakLag >= hourOfProduction);
  const behind = (messages: number): string => `about ${span(messages / produceRate)} of production`;

  // Where the lag sits: now while it is above the floor, else at each partition's peak in the window.
  const useNow = now >= floor;
  const perPartition = c.partitions.map((p) => ({ id: p.partition, load: useNow ? p.lag : p.maxLag }));
  const totalOnPartitions = perPartition.reduce((a, p) => a + p.load, 0);
  const { hot } = hotShards(perPartition, CONCENTRATION_RATIO);
  const ids = hot.map((p) => p.id);
  const held = hot.reduce((a, p) => a + p.load, 0);
  const topicShares = new Map((topicGroup?.shards ?? []).map((s) => [s.id, s.share]));
  const hotProduce = ids.filter((id) => topicShares.has(id)).map((id) => `${percent(topicShares.get(id) ?? null)} on partition ${id}`);

  const subject = `Consumer group ${c.group} on ${c.topic}`;
  const head = growing
    ? `${subject} is falling behind: lag ${count(now)} messages (${behind(now)} at the topic's ${count(produceRate)} messages/s), up ${count(rise)} in the last ${span(last.time - (recent[0] as RangePoint).time)} (+${count(slope)} messages/s)` +
      (now < hourOfProduction && slope > 0 ? `; at this pace it passes an hour of production in ${span((hourOfProduction - now) / slope)}.` : '.')
    : `${subject} falls behind again and again: lag stayed above ${count(floor)} messages (a minute of production) for at least ${span(MIN_EPISODE_SECONDS)} ${sustained.length} times in the window, ` +
      `peaking at ${count(peakLag)} (${behind(peakLag)})${worstPeak ? ` at ${utc(worstPeak.time)}` : ''}; now ${count(now)}` +
      (slope < 0 && now >= floor ? `, draining in about ${span(now / -slope)}.` : '.');
  // Growing as fast as the topic produces (on average) means nothing is consumed at all.
  const stopped = growing && slope >= produceRate
    ? ' It grows as fast as the topic produces: the group seems to consume nothing (stopped, crashed, or abandoned — kafka_exporter reports lag for a group until its committed offsets expire).'
    : '';
  const history = growing && recurring
    ? ` The lag stayed above a minute of production for ${span(MIN_EPISODE_SECONDS)} or more ${sustained.length} times in the window, peaking at ${count(peakLag)} (${behind(peakLag)}).`
    : '';
  let where: string;
  let remediation: string;
  if (c.partitions.length === 1) {
    where = ` The topic has one partition, so only one consumer of the group can read it.`;
    remediation = `Add partitions to ${c.topic} so more consumers can share it (keys move to new partitions: plan for ordering), or make each message cheaper to process.`;
  } else if (hot.length > 0) {
    where =
      ` It sits on ${listOf('partition', ids)}: ${count(held)} of ${count(totalOnPartitions)} messages (${percent(totalOnPartitions > 0 ? held / totalOnPartitions : null, 1)}) ${useNow ? 'now' : 'at their peaks'} — ` +
      `a hot partition or a slow key, not a lack of consumers${hotProduce.length > 0 ? `; ${c.topic} receives ${hotProduce.join(', ')}` : ''}.`;
    remediation =
      `One partition is read by one consumer of the group, so adding consumers or replicas will not help. Spread the heavy key across partitions (see hot-shard on ${c.topic}), ` +
      'make its messages cheaper to process, or, if the member that owns the partition is the slow one (a bad node, a stuck thread), replace it.';
  } else {
    where = ` It is spread over ${c.partitions.filter((p) => (useNow ? p.lag : p.maxLag) > 0).length} of ${c.partitions.length} partitions: the group lacks capacity.`;
    remediation =
      `Scale the consumers up to the partition count (${c.partitions.length}; members beyond it sit idle), on lag rather than CPU (KEDA's Kafka scaler with a lagThreshold), ` +
      'or raise each consumer’s throughput (batching, fewer synchronous calls per message). If the group already has as many members as partitions, add partitions.';
  }

  const items: Evidence[] = [
    evidence(`total lag of ${c.group} on ${c.topic}`, lag.query, now, 'messages', lag),
    evidence(`lag growth over the last ${span(last.time - (recent[0] as RangePoint).time)} (least squares)`, lag.query, slope, 'messages/s'),
    evidence(`messages/s produced to ${c.topic} (window average)`, c.query, produceRate, 'messages/s'),
  ];
  if (recurring) items.push(evidence('highest total lag in the window', lag.query, peakLag, 'messages', lag));
  for (const p of hot) items.push(evidence(`lag on partition ${p.id} (${useNow ? 'now' : 'max over the window'})`, c.query, p.load, 'messages'));
  return { severity: critical ? 'critical' : 'warning', summary: head + stopped + history + where, evidence: items, remediation };
}

export const consumerLag: RuleModule = {
  meta: {
    id: 'consumer-lag',
    title: 'Kafka consumer lag growing',
    defaultSeverity: 'warning',
    category: 'data',
    requires: ['kafka'],
    description: 'A Kafka consumer group falls behind its topic: the lag grows beyond a minute of production, now or day after day, on few partitions or on all.',
    docs: 'docs/rules/consumer-lag.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    // A group that reads several topics gets one finding, one paragraph per topic.
    const byGroup = new Map<string, { target: TargetRef; judgements: Judgement[] }>();
    for (const c of context.consumerGroups) {
      const target: TargetRef = { namespace: c.namespace, kind: 'KafkaConsumerGroup', name: c.group };
      const label = `${c.namespace}/${c.group} on ${c.topic}`;
      if (c.produceRate === null) {
        out.notEvaluated.push({ target, missing: [`produce rate of ${c.topic} for ${label}: kafka_topic_partition_current_offset has no samples for the topic, so the lag cannot be weighed against production`] });
        continue;
      }
      if (!c.lag || c.lag.points.filter((p) => p.value !== null).length < MIN_RECENT_POINTS) {
        out.notEvaluated.push({ target, missing: [`lag timeline for ${label}: kafka_consumergroup_lag has fewer than ${MIN_RECENT_POINTS} samples in the window`] });
        continue;
      }
      const topicGroup = context.shardGroups.find((g) => g.kind === 'kafka-topic' && g.target.namespace === c.namespace && g.target.name === c.topic);
      const j = judge(c, c.produceRate, topicGroup);
      if (!j) continue;
      const k = `${c.namespace}\u0000${c.group}`;
      const entry = byGroup.get(k) ?? { target, judgements: [] };
      byGroup.set(k, entry);
      entry.judgements.push(j);
    }
    for (const { target, judgements } of byGroup.values()) {
      out.findings.push({
        severity: judgements.some((j) => j.severity === 'critical') ? 'critical' : 'warning',
        target,
        summary: judgements.map((j) => j.summary).join(' '),
        evidence: judgements.flatMap((j) => j.evidence),
        remediation: [...new Set(judgements.map((j) => j.remediation))].join(' '),
      });
    }
    return out;
  },
};
