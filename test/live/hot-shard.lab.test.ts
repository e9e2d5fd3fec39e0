import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../core/analysis/analyze';
import { PrometheusClient } from '../../core/prometheus/client';
import { hotShard } from '../../rules/hot-shard';
import { instantValues, LiveStack, now, runGuarded, sleep } from './servers';

/**
 * hot-shard on real software: three redis-server instances, each with Debian's redis_exporter beside
 * it as a sidecar would be, scraped every 5 s by a real Prometheus as the pods `redis-cache-0/1/2` of
 * namespace `data` — a StatefulSet by their names, so Headroom groups them without kube-state-metrics.
 * redis-benchmark drives two phases, each analysed over its own window:
 *
 *  - balanced: the same number of commands to every instance;
 *  - skewed: most commands to redis-cache-1, a trickle to the other two.
 *
 * Only the skewed phase is a finding, naming redis-cache-1. About a minute and a half.
 */
const SCRAPE_SECONDS = 5;
const NAMESPACE = 'data';
const PODS = ['redis-cache-0', 'redis-cache-1', 'redis-cache-2'];
const HOT = 'redis-cache-1';

let stack: LiveStack | undefined;
let prometheusUrl = '';
let redisPorts: number[] = [];
const windows: { balanced?: { start: number; end: number }; skewed?: { start: number; end: number } } = {};
const analyses: { balanced?: Analysis; skewed?: Analysis } = {};

/** SET then GET, `requests` each, over 10 000 random keys: 2 × `requests` commands. */
function benchmark(port: number, requests: number): Promise<string> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-n', String(requests), '-c', '10', '-r', '10000', '-t', 'set,get', '-q'];
  return runGuarded('redis-benchmark', args, 'redis-benchmark', 120_000);
}

/** Runs `requests[i]` against instance i, all at once, inside a window with two scrapes on each side. */
async function phase(requests: readonly number[]): Promise<{ start: number; end: number }> {
  const start = now();
  await sleep(2 * SCRAPE_SECONDS * 1000);
  await Promise.all(redisPorts.map((port, i) => benchmark(port, requests[i] ?? 0)));
  await sleep(3 * SCRAPE_SECONDS * 1000);
  return { start, end: now() };
}

function analyse(window: { start: number; end: number }): Promise<Analysis> {
  return analyze(new PrometheusClient({ url: prometheusUrl }), { window, rules: [hotShard], timelineStep: 10, scrapeInterval: SCRAPE_SECONDS });
}

describe('hot-shard on three Redis instances and their redis_exporters', () => {
  beforeAll(async () => {
    try {
      stack = await LiveStack.create('redis');
      redisPorts = [await stack.redis(), await stack.redis(), await stack.redis()];
      const exporters = [];
      for (const port of redisPorts) exporters.push(await stack.redisExporter(port));
      prometheusUrl = await stack.prometheus(
        exporters.map((port, i) => ({ job: 'redis-exporter', port, namespace: NAMESPACE, pod: PODS[i] as string })),
        SCRAPE_SECONDS,
      );
      windows.balanced = await phase([50_000, 50_000, 50_000]);
      windows.skewed = await phase([1_000, 150_000, 1_000]);
      analyses.balanced = await analyse(windows.balanced);
      analyses.skewed = await analyse(windows.skewed);
    } catch (error) {
      await stack?.stop();
      stack = undefined;
      throw error;
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('groups the three instances into the StatefulSet redis-cache', () => {
    for (const analysis of [analyses.balanced, analyses.skewed]) {
      const groups = analysis?.context.shardGroups ?? [];
      expect(groups.map((g) => [g.kind, g.target])).toEqual([['redis', { namespace: NAMESPACE, kind: 'StatefulSet', name: 'redis-cache' }]]);
      expect(groups[0]?.shards.map((s) => s.id)).toEqual(PODS);
    }
  });

  it('finds nothing when every instance takes the same load', () => {
    const analysis = analyses.balanced as Analysis;
    for (const shard of analysis.context.shardGroups[0]?.shards ?? []) expect(shard.share).toBeGreaterThan(0.25);
    expect(analysis.report.findings).toEqual([]);
    // Only Kafka is missing, and the rule says so.
    expect(analysis.report.notEvaluated?.map((n) => n.missing.join(' '))).toEqual([expect.stringMatching(/^Kafka partitions:/)]);
  });

  it('names the hot instance of the StatefulSet when most commands go to it', async () => {
    const analysis = analyses.skewed as Analysis;
    const findings = analysis.report.findings;
    expect(findings.map((f) => `${f.rule} ${f.severity} ${f.target.namespace}/${f.target.kind}/${f.target.name}`)).toEqual(['hot-shard warning data/StatefulSet/redis-cache']);
    const [finding] = findings;
    expect(finding?.summary).toMatch(/^redis-cache-1 processes 9\d % of data\/redis-cache's commands \([\d,.]+ commands\/s over the window\) where 3 balanced instances would take 33 % each/);

    const value = (label: string): number | null | undefined => finding?.evidence.find((e) => e.label === label)?.value;
    const hotRate = value(`commands/s on ${HOT} (window average)`) ?? 0;
    const othersMean = value('commands/s per other instance (mean)') ?? Infinity;
    expect(value(`share of data/redis-cache's commands on ${HOT}`)).toBeGreaterThan(0.9);
    expect(hotRate).toBeGreaterThanOrEqual(2 * othersMean + 100);

    // The hot rate is what redis_exporter counted: between the window's first and last scrapes, the
    // 300 000 commands of redis-benchmark and the exporter's own few dozen per scrape…
    const window = windows.skewed as { start: number; end: number };
    const seconds = Math.round(window.end - window.start);
    const counter = `redis_commands_processed_total{namespace="${NAMESPACE}",pod="${HOT}"}`;
    const [counted] = await instantValues(prometheusUrl, `max_over_time(${counter}[${seconds}s]) - min_over_time(${counter}[${seconds}s])`, window.end);
    const delta = counted?.value ?? 0;
    expect(delta).toBeGreaterThanOrEqual(300_000);
    expect(delta).toBeLessThan(302_000);
    // …which rate() extrapolates to the window's edges, at most a scrape interval on each side.
    expect(hotRate * seconds).toBeGreaterThanOrEqual(delta * 0.999);
    expect(hotRate * seconds).toBeLessThanOrEqual((delta * seconds) / (seconds - 2 * SCRAPE_SECONDS));
  });
});
