/**
 * The client against a real Prometheus 2.42 and a real VictoriaMetrics holding a few series over 14 days:
 * results, NaN, labels, series, build info, the stores' own limits (Prometheus' 11,000 points per series and
 * --query.max-samples, VictoriaMetrics' -search.maxPointsPerTimeseries and -search.maxSamplesPerQuery) and
 * Prometheus' own warnings (a remote_read that cannot be reached is a warning, not an error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient, PrometheusError, type Labels } from '../../../core/prometheus/client';
import { freePort } from '../../lab/processes';
import { every, startSmallPrometheus, startSmallVictoriaMetrics, type SmallSeries, type SmallStore } from './small-prometheus';

const DAY = 86_400;
/** Data runs up to the current minute, so instant queries at "now" see it. */
const NOW = Math.floor(Date.now() / 1000 / 60) * 60;
/** Queries end on a whole hour inside the data, so every step grid used here lines up. */
const END = Math.floor(NOW / 3600) * 3600;
const START = END - 14 * DAY;
const DATA_START = START - 3600;

const SERIES: SmallSeries[] = [
  { labels: { __name__: 'up', job: 'api', instance: 'a' }, samples: every(60, DATA_START, NOW, () => 1) },
  { labels: { __name__: 'up', job: 'api', instance: 'b' }, samples: every(60, DATA_START, NOW, () => 1) },
  { labels: { __name__: 'up', job: 'db', instance: 'c' }, samples: every(60, DATA_START, NOW, () => 0) },
  ...[1, 2, 3, 4, 5].map((i) => ({
    labels: { __name__: 'load', pod: `p${i}` },
    samples: every(60, DATA_START, NOW, () => i),
  })),
];

const byInstance = (a: { labels: Labels }, b: { labels: Labels }): number =>
  (a.labels.instance ?? '').localeCompare(b.labels.instance ?? '');

describe('a real Prometheus', () => {
  let store: SmallStore;
  let prometheus: PrometheusClient;

  beforeAll(async () => {
    // A remote_read that nobody answers, asked only for selectors with remote="yes": Prometheus reports its
    // failure as a warning on those queries and leaves all others alone.
    const deadPort = await freePort();
    store = await startSmallPrometheus(SERIES, {
      flags: ['--query.max-samples=40000'],
      config: `remote_read:\n  - url: http://127.0.0.1:${deadPort}/read\n    read_recent: true\n    required_matchers:\n      remote: "yes"\n`,
    });
    prometheus = new PrometheusClient({ url: store.url });
  }, 120_000);

  afterAll(async () => {
    prometheus.close();
    await store.stop();
  });

  it('answers instant vector and scalar queries, and refuses a range vector', async () => {
    const vector = await prometheus.instant('up', END);
    expect(vector.resultType).toBe('vector');
    expect([...vector.data].sort(byInstance)).toEqual([
      { labels: { __name__: 'up', job: 'api', instance: 'a' }, time: END, value: 1 },
      { labels: { __name__: 'up', job: 'api', instance: 'b' }, time: END, value: 1 },
      { labels: { __name__: 'up', job: 'db', instance: 'c' }, time: END, value: 0 },
    ]);
    expect(await prometheus.instant('sum(up)', END)).toMatchObject({ resultType: 'vector', data: [{ labels: {}, value: 2 }] });
    expect(await prometheus.instant('scalar(sum(up))', END)).toEqual({
      resultType: 'scalar',
      data: [{ labels: {}, time: END, value: 2 }],
      warnings: [],
    });
    const error = await prometheus.instant('up{instance="a"}[5m]', END).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'bad-query', message: expect.stringContaining('answered with a matrix') });
  });

  it('turns NaN and ±Inf into null', async () => {
    expect(await prometheus.instant('0/0', END)).toMatchObject({ resultType: 'scalar', data: [{ value: null }] });
    const divided = await prometheus.instant('up / 0', END);
    expect(divided.data.map((s) => s.value)).toEqual([null, null, null]);
    const range = await prometheus.range('-up{instance="a"} / 0', END - 300, END, 60);
    expect(range.data[0]?.points.map((p) => p.value)).toEqual([null, null, null, null, null, null]);
  });

  it('answers a range query, labels, label values and series', async () => {
    const range = await prometheus.range('sum(up)', END - 3600, END, 60);
    expect(range.data).toHaveLength(1);
    expect(range.data[0]?.points).toHaveLength(61);
    expect(range.data[0]?.points.every((p) => p.value === 2)).toBe(true);
    expect(range.warnings).toEqual([]);
    expect((await prometheus.labelNames(['up'], END - 3600, END)).data).toEqual(['__name__', 'instance', 'job']);
    expect((await prometheus.labelValues('job', ['up'], END - 3600, END)).data).toEqual(['api', 'db']);
    const series = await prometheus.series(['up{job="api"}'], END - 3600, END);
    expect([...series.data].sort((a, b) => (a.instance ?? '').localeCompare(b.instance ?? ''))).toEqual([
      { __name__: 'up', job: 'api', instance: 'a' },
      { __name__: 'up', job: 'api', instance: 'b' },
    ]);
  });

  it('reports its build', async () => {
    expect(await prometheus.buildInfo()).toMatchObject({ product: 'prometheus', version: '2.42.0+ds', warnings: [] });
  });

  it("passes Prometheus' own warnings on", async () => {
    const result = await prometheus.instant('up{remote="yes"}', END);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^remote_read: error sending request: .*connection refused/);
  });

  it('splits a range Prometheus refuses for more than 11,000 points, returns every point, and says so', async () => {
    const client = new PrometheusClient({ url: store.url });
    const result = await client.range('up{instance="a"}', START, END, 60);
    const points = result.data[0]?.points ?? [];
    expect(points).toHaveLength(20_161);
    expect(points[0]?.time).toBe(START);
    expect(points.at(-1)?.time).toBe(END);
    expect(points.every((p, i) => p.time === START + i * 60 && p.value === 1)).toBe(true);
    expect(result.warnings).toEqual(['range split into 2 chunks: Prometheus refused 20,161 points per series (its limit is 11,000)']);
    expect(client.stats.byEndpoint.query_range).toMatchObject({ requests: 3, failures: 1 });

    // The limit is remembered: the next long range goes out in chunks straight away.
    const again = await client.range('up{instance="b"}', START, END, 60);
    expect(again.data[0]?.points).toHaveLength(20_161);
    expect(again.warnings).toEqual(['range split into 2 chunks: Prometheus refuses more than 11,000 points per series']);
    expect(client.stats.byEndpoint.query_range).toMatchObject({ requests: 5, failures: 1 });
    client.close();
  });

  it('halves a range that would load too many samples (--query.max-samples=40000)', async () => {
    const client = new PrometheusClient({ url: store.url });
    const result = await client.range('load', START, END, 120);
    expect(result.data).toHaveLength(5);
    for (const series of result.data) {
      expect(series.points).toHaveLength(10_081);
      expect(series.points.every((p) => p.value === Number(series.labels.pod?.slice(1)))).toBe(true);
    }
    expect(result.warnings).toEqual(['range split into 2 chunks: Prometheus would load too many samples into memory for 14 days']);
    expect(client.stats.byEndpoint.query_range).toMatchObject({ requests: 3, failures: 1 });
    client.close();
  });

  it('reports a query it cannot parse as a bad query', async () => {
    const error = await prometheus.instant('sum(', END).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'bad-query', status: 400 });
    expect((error as PrometheusError).message).toMatch(/refused the query \(400 bad_data\): invalid parameter "query": .*parse error/);
  });
});

describe('a real VictoriaMetrics', () => {
  let store: SmallStore;
  let victoria: PrometheusClient;

  beforeAll(async () => {
    store = await startSmallVictoriaMetrics(SERIES, {
      flags: ['-search.maxPointsPerTimeseries=10000', '-search.maxSamplesPerQuery=60000'],
    });
    victoria = new PrometheusClient({ url: store.url });
  }, 120_000);

  afterAll(async () => {
    victoria.close();
    await store.stop();
  });

  it('answers instant and range queries, labels, label values and series', async () => {
    const vector = await victoria.instant('up', END);
    expect([...vector.data].sort(byInstance).map((s) => [s.labels.instance, s.value])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 0],
    ]);
    const range = await victoria.range('sum(up)', END - 3600, END, 60);
    expect(range.data[0]?.points).toHaveLength(61);
    expect((await victoria.labelNames(['up'], END - 3600, END)).data).toEqual(['__name__', 'instance', 'job']);
    expect((await victoria.labelValues('job', ['up'], END - 3600, END)).data).toEqual(['api', 'db']);
    expect((await victoria.series(['up{job="db"}'], END - 3600, END)).data).toEqual([{ __name__: 'up', job: 'db', instance: 'c' }]);
  });

  it('never hands out NaN or Inf', async () => {
    for (const query of ['0/0', 'up / 0', '-up / 0']) {
      const result = await victoria.instant(query, END);
      expect(result.data.every((s) => s.value === null)).toBe(true);
    }
  });

  it('is recognised although its build info carries no version', async () => {
    expect(await victoria.buildInfo()).toEqual({
      product: 'victoriametrics',
      version: null,
      details: {},
      warnings: [`${store.url} answered /api/v1/status/buildinfo without a version (as VictoriaMetrics does)`],
    });
  });

  it('splits a range beyond -search.maxPointsPerTimeseries into chunks it accepts', async () => {
    const client = new PrometheusClient({ url: store.url });
    const result = await client.range('up{instance="a"}', START, END, 60);
    const points = result.data[0]?.points ?? [];
    expect(points).toHaveLength(20_161);
    expect(points.every((p, i) => p.time === START + i * 60 && p.value === 1)).toBe(true);
    expect(result.warnings).toEqual(['range split into 3 chunks: VictoriaMetrics refused 20,161 points per series (its limit is 10,000)']);
    expect(client.stats.byEndpoint.query_range).toMatchObject({ requests: 4, failures: 1 });
    client.close();
  });

  it('gives up after a few requests when even a small chunk passes -search.maxSamplesPerQuery', async () => {
    // VictoriaMetrics counts the samples of every stored block it touches, so with 5 series even a single point
    // costs more than 60,000 samples here: halving cannot help, and the client must not hammer the store trying.
    const client = new PrometheusClient({ url: store.url });
    const error = await client.range('load', START, END, 120).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'too-large', store: 'VictoriaMetrics' });
    expect((error as PrometheusError).message).toMatch(
      /^VictoriaMetrics at .* refused the query as too large: .*cannot select more than -search\.maxSamplesPerQuery=60000 samples.*\(even after splitting the range into \d+ chunks\)$/,
    );
    // Halving stops at 1/64 of the range: six levels, at most two requests each, plus the first.
    expect(client.stats.byEndpoint.query_range?.requests).toBeLessThanOrEqual(13);
    client.close();
  });
});
