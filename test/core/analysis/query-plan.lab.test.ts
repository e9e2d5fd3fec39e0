import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { analyze, type Analysis } from '../../../core/analysis/analyze';
import { PrometheusClient } from '../../../core/prometheus/client';
import type { GroundTruth } from '../../lab/musiccorp/ground-truth';
import { ensureScaledLabBuilt } from '../../lab/scaled';
import { startPrometheus } from '../../lab/servers';
import type { GuardedProcess } from '../../lab/processes';

/**
 * Headroom scales by asking few, aggregated questions: the analysis of MusicCorp and of a copy ten
 * times larger must make exactly the same number of HTTP requests to the store.
 */
const lab = inject('lab');
const COPIES = 10;
let scaled: { url: string; process: GuardedProcess; dir: string };
let truth: GroundTruth;

async function run(url: string): Promise<{ analysis: Analysis; requests: number }> {
  const client = new PrometheusClient({ url, timeoutMs: 180_000 });
  const analysis = await analyze(client, { window: truth.window });
  return { analysis, requests: client.stats.requests };
}

beforeAll(async () => {
  truth = JSON.parse(await readFile(lab.build.groundTruthPath, 'utf8')) as GroundTruth;
  const { tsdbDir } = await ensureScaledLabBuilt(COPIES, 2);
  const dir = await mkdtemp(join(tmpdir(), 'headroom-scaled-'));
  const started = await startPrometheus(tsdbDir, dir);
  scaled = { ...started, dir };
});

afterAll(async () => {
  await scaled?.process.stop();
  if (scaled) await rm(scaled.dir, { recursive: true, force: true });
});

describe('the query plan', () => {
  it('makes the same number of requests for a fleet ten times larger', async () => {
    const small = await run(lab.prometheusUrl);
    const large = await run(scaled.url);
    // The larger fleet really is larger, and really was analysed.
    expect(large.analysis.report.services.length).toBe(COPIES * small.analysis.report.services.length);
    expect(large.analysis.context.workloads.length).toBe(COPIES * small.analysis.context.workloads.length);
    expect(large.analysis.context.hpas.length).toBe(COPIES * small.analysis.context.hpas.length);
    expect(small.requests).toBeGreaterThan(10);
    expect(large.requests).toBe(small.requests);
  }, 900_000);
});
