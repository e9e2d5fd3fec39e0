import { describe, expect, it } from 'vitest';
import type { AnalysisContext, ConsumerGroupFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { consumerLag } from '../../rules/consumer-lag';
import { consumerGroup, context, daily, END, POINTS, shardGroup, STEP, timeline } from './fixtures';

/**
 * Lag that grows (shipping: partition 3 only, every evening, still growing at the window's end; a
 * group short of consumers; a stopped group) against groups that keep up — on a hot topic, on a
 * busy topic whose in-flight trail is thousands of messages — and the shapes that are not growth:
 * a rebalance blip, one incident that has drained, a lag that is high but flat, an idle topic.
 */
const hourAt = (i: number): number => (((END - (POINTS - 1 - i) * STEP) % 86400) + 86400) % 86400 / 3600;

/** shipping: grows 70,000 messages an hour from 15:00 to 01:00, drains until 11:00 (END is 18:00 UTC). */
const evenings = (i: number): number => {
  const h = hourAt(i);
  const x = h < 11 ? h + 24 : h;
  if (x < 15) return 50;
  if (x <= 25) return 70_000 * (x - 15);
  return (700_000 * (35 - x)) / 10;
};
/** Steady at 100, then a ramp to `top` over the last three hours. */
const rampAtEnd = (top: number) => (i: number): number => (i >= POINTS - 18 ? 100 + ((i - (POINTS - 18)) / 17) * top : 100);
/** Stopped six hours ago: the lag grows at the full produce rate. */
const stopped = (rate: number) => (i: number): number => (i >= POINTS - 36 ? 100 + (i - (POINTS - 36)) * STEP * rate : 100);

const group = (input: Omit<Partial<ConsumerGroupFacts>, 'lag'> & { lag: (i: number) => number; lags?: number[]; maxLags?: number[] }): ConsumerGroupFacts => {
  const { lag, ...rest } = input;
  const g = consumerGroup({ group: 'shipping', topic: 'order.placed', lags: input.lags ?? [20, 20, 20, 20, 20, 20], ...rest, lag: timeline(lag, { query: 'lag_timeline_query' }) });
  return { ...g, partitions: g.partitions.map((p, i) => ({ ...p, maxLag: Math.max(p.lag, input.maxLags?.[i] ?? 0) })) };
};
const orders = shardGroup({ name: 'order.placed', loads: [4.5, 4.5, 4.5, 27.6, 4.5, 4.5] });

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity?: 'critical' | 'warning';
  target?: string;
  summary?: RegExp[];
  remediation?: RegExp;
  notEvaluated?: RegExp;
}

const fires: Case[] = [
  {
    name: 'shipping: partition 3 only, growing every evening and now — an hour behind within the day: critical',
    ctx: context({ shardGroups: [orders], consumerGroups: [group({ lag: evenings, lags: [23, 19, 9, 210_000, 19, 18], produceRate: 50 })] }),
    severity: 'critical',
    target: 'kafka/KafkaConsumerGroup/shipping',
    summary: [/is falling behind: lag 210,000 messages \(about 70 min of production/, /\+19\.4 messages\/s/, /8 times in the window, peaking at 700,000 \(about 3\.9 h/, /sits on partition 3: 210,000 of 210,088 messages \(100\.0 %\)/, /receives 55 % on partition 3/],
    remediation: /adding consumers or replicas will not help/,
  },
  {
    name: 'lag on every partition, growing for three hours: capacity, warning',
    ctx: context({ consumerGroups: [group({ group: 'indexer', lag: rampAtEnd(12_000), lags: [2_000, 2_100, 1_950, 2_050, 1_900, 2_000], produceRate: 50 })] }),
    severity: 'warning',
    target: 'kafka/KafkaConsumerGroup/indexer',
    summary: [/lag 12,100 messages \(about 4 min of production/, /spread over 6 of 6 partitions: the group lacks capacity/],
    remediation: /Scale the consumers up to the partition count \(6/,
  },
  {
    name: 'grows every evening and drains, quiet now: warning, named at its peak partition',
    ctx: context({ consumerGroups: [group({ group: 'mailer', lag: daily(50, 10_000), lags: [10, 10, 20, 10], maxLags: [40, 40, 9_000, 40], produceRate: 50 })] }),
    severity: 'warning',
    target: 'kafka/KafkaConsumerGroup/mailer',
    summary: [/falls behind again and again/, /7 times in the window, peaking at 10,000 \(about 3 min of production\)/, /now 50\./, /sits on partition 2: 9,000 of 9,120 messages \(98\.7 %\) at their peaks/],
  },
  {
    name: 'grows every evening past an hour of production: critical even while quiet now',
    ctx: context({ consumerGroups: [group({ group: 'mailer', lag: daily(50, 400_000), produceRate: 50 })] }),
    severity: 'critical',
    target: 'kafka/KafkaConsumerGroup/mailer',
    summary: [/peaking at 400,000 \(about 2\.2 h of production\)/],
  },
  {
    name: 'a stopped group: lag grows as fast as the topic produces',
    ctx: context({ consumerGroups: [group({ group: 'archiver', lag: stopped(50), produceRate: 50 })] }),
    severity: 'critical',
    target: 'kafka/KafkaConsumerGroup/archiver',
    summary: [/seems to consume nothing/],
  },
  {
    name: 'one group on two topics: one finding naming both',
    ctx: context({
      consumerGroups: [
        group({ group: 'etl', topic: 'orders', lag: rampAtEnd(12_000), produceRate: 50 }),
        group({ group: 'etl', topic: 'refunds', lag: rampAtEnd(12_000), produceRate: 50 }),
      ],
    }),
    severity: 'warning',
    target: 'kafka/KafkaConsumerGroup/etl',
    summary: [/on orders is falling behind/, /on refunds is falling behind/],
  },
];

const silent: Case[] = [
  { name: 'notifications keeps up on the hot topic (a few seconds of messages)', ctx: context({ shardGroups: [orders], consumerGroups: [group({ group: 'notifications', lag: daily(100, 250), lags: [15, 26, 13, 117, 27, 10], produceRate: 50 })] }) },
  { name: 'catalog-indexer keeps up', ctx: context({ consumerGroups: [group({ group: 'catalog-indexer', topic: 'inventory.changed', lag: daily(15, 130), lags: [25, 38, 39, 38], produceRate: 33.6 })] }) },
  { name: 'a busy topic: 20,000 in flight is four seconds of production', ctx: context({ consumerGroups: [group({ group: 'clicks', lag: (i) => 15_000 + i * 5, produceRate: 5_000 })] }) },
  { name: 'a rebalance blip: one ten-minute spike', ctx: context({ consumerGroups: [group({ lag: (i) => (i === POINTS - 100 ? 20_000 : 100) })] }) },
  { name: 'one incident two days ago that has drained', ctx: context({ consumerGroups: [group({ lag: (i) => (i >= POINTS - 300 && i < POINTS - 282 ? 50_000 : 100) })] }) },
  { name: 'high but flat: behind by a constant amount, not growing', ctx: context({ consumerGroups: [group({ lag: () => 5_000 })] }) },
  { name: 'growing, but by less than a minute of production in the last hour', ctx: context({ consumerGroups: [group({ lag: (i) => 3_500 + i * 2 })] }) },
  { name: 'an idle topic: nothing produced, an old lag stays', ctx: context({ consumerGroups: [group({ lag: () => 800, produceRate: 0 })] }) },
];

const notEvaluated: Case[] = [
  { name: 'no produce rate for the topic', ctx: context({ consumerGroups: [{ ...group({ lag: evenings }), produceRate: null }] }), notEvaluated: /produce rate of order\.placed/ },
  { name: 'no lag timeline', ctx: context({ consumerGroups: [{ ...group({ lag: evenings }), lag: null }] }), notEvaluated: /lag timeline for kafka\/shipping on order\.placed/ },
  { name: 'no kafka_exporter at all', ctx: context({ missingFeatures: ['kafka'] }), notEvaluated: /kafka metrics are missing/ },
];

const key = (t: { namespace: string; kind: string; name: string }): string => `${t.namespace}/${t.kind}/${t.name}`;

describe('consumer-lag', () => {
  it.each(fires)('fires: $name', ({ ctx, severity, target, summary, remediation }) => {
    const { findings } = runRules(ctx, [consumerLag]);
    expect(findings.map((f) => key(f.target))).toEqual([target]);
    const f = findings[0];
    expect(f?.severity).toBe(severity);
    for (const re of summary ?? []) expect(f?.summary).toMatch(re);
    if (remediation) expect(f?.remediation).toMatch(remediation);
    expect(f?.evidence.length).toBeGreaterThanOrEqual(3);
    for (const e of f?.evidence ?? []) expect(e.query.length).toBeGreaterThan(0);
    expect(f?.evidence[0]?.series?.query).toBe('lag_timeline_query');
  });

  it.each(silent)('stays silent: $name', ({ ctx }) => {
    const { findings, notEvaluated: missing } = runRules(ctx, [consumerLag]);
    expect(findings).toEqual([]);
    expect(missing).toEqual([]);
  });

  it.each(notEvaluated)('not evaluated: $name', ({ ctx, notEvaluated: re }) => {
    const { findings, notEvaluated: missing } = runRules(ctx, [consumerLag]);
    expect(findings).toEqual([]);
    expect(missing.flatMap((n) => n.missing).join('\n')).toMatch(re as RegExp);
  });
});
