import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, FaultServer } from '../core/prometheus/fault-server';
import { freePort } from '../lab/processes';
import { errorLines, REPO_ROOT, runCli, startCli, type CliRun } from './run-cli';

/**
 * The real CLI, spawned as `npm run cli` runs it: help and usage errors, and every way a store can fail —
 * refused connection, HTTP 500, broken JSON, no answer — ending in exit 2 with one line on stderr that says
 * what to do, and no stack trace. No lab needed: failures come from a fault server on 127.0.0.1.
 */
const { version } = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string };
/** Never contacted: these runs fail before any request. */
const NOWHERE = 'http://127.0.0.1:9';

function expectOneLineFailure(run: CliRun, pattern: RegExp): void {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  const lines = errorLines(run.stderr);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^headroom: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('headroom --help and usage errors', () => {
  it('prints the help with every command', async () => {
    const run = await runCli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: headroom \[options\] \[command\]/);
    for (const command of ['analyze', 'recommend', 'backtest', 'silences', 'schema']) expect(run.stdout).toContain(`  ${command}`);
    expect(run.stderr).toBe('');
  });

  it.each([['analyze'], ['recommend'], ['backtest'], ['silences', 'add']])('%s --help prints its flags', async (...command) => {
    const run = await runCli([...command, '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Usage: headroom ${command.join(' ')}`);
  });

  it('prints the version from package.json', async () => {
    expect((await runCli(['--version'])).stdout.trim()).toBe(version);
  });

  it.each([
    { args: [], error: /^Usage: headroom/m },
    { args: ['frobnicate'], error: /unknown command 'frobnicate'/ },
    { args: ['analyze'], error: /required option '--prometheus <url>' not specified/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--bogus'], error: /unknown option '--bogus'/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--window', '7x'], error: /--window <duration>' argument '7x' is invalid. "7x" is not a duration/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--window', '1m'], error: /shorter than the shortest allowed, 10 minutes/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--format', 'xml'], error: /Allowed choices are table, json, markdown/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--fail-on', 'info'], error: /Allowed choices are critical, warning/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--manifests', 'x', '--kubeconfig', 'y'], error: /'--manifests <dir>' cannot be used with option '--kubeconfig <file>'/ },
    { args: ['analyze', '--prometheus', 'ftp://store'], error: /--prometheus: use an http:\/\/ or https:\/\/ URL/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--at', 'yesterday'], error: /--at: "yesterday" is not a time/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--at', '1794506400000'], error: /use unix seconds, not milliseconds/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--matcher', 'cluster'], error: /--matcher: "cluster" is not a label matcher/ },
    { args: ['analyze', '--prometheus', NOWHERE, '--cpu-percentile', '150'], error: /"150" is not a percentile/ },
    { args: ['backtest', '--prometheus', NOWHERE, '--strategy', 'magic'], error: /Allowed choices are headroom, krr-simple, vpa-like/ },
    { args: ['backtest', '--prometheus', NOWHERE, '--fit', '30m'], error: /shorter than the shortest allowed, 1 hour/ },
    { args: ['recommend', '--prometheus', NOWHERE], error: /required option '--out <dir>' not specified/ },
    { args: ['silences', 'add', 'no-such-rule', '--reason', 'x'], error: /"no-such-rule" is not a rule id; the rules are cache-stampede, / },
  ])('$args: exit 2, the reason, then the usage', async ({ args, error }) => {
    const run = await runCli(args);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(error);
    if (args.length > 0) expect(run.stderr.split('\n')[0]).toMatch(/^headroom: /);
    expect(run.stderr).toMatch(/Usage: headroom/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    { args: ['--basic-auth', 'ops:s3cr3t-password', '--bearer-token', 's3cr3t-token'], error: /use one or the other/ },
    { args: ['--header', 'Bad Name: s3cr3t-header'], error: /"Bad Name" is not a valid header name/ },
    { args: ['--bearer-token', 's3cr3t-token', '--bearer-token-file', '/dev/null'], error: /give the token one way/ },
    { args: ['--basic-auth', 'ops'], error: /no password; set HEADROOM_PROMETHEUS_PASSWORD/ },
  ])('never repeats a secret when refusing $error', async ({ args, error }) => {
    const run = await runCli(['analyze', '--prometheus', NOWHERE, ...args], { env: { HEADROOM_PROMETHEUS_PASSWORD: undefined } });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(error);
    expect(run.stderr).not.toContain('s3cr3t');
  });

  it.each([
    [['--slo', '/nonexistent/slo.yaml'], /^headroom: cannot read the SLO file \/nonexistent\/slo\.yaml: ENOENT/],
    [['--manifests', '/nonexistent/k8s'], /^headroom: The manifest folder \/nonexistent\/k8s does not exist: choose the folder that holds your YAML files\.$/],
    [["--kubeconfig", "/nonexistent/kubeconfig", "--context", "prod"], /^headroom: The kubeconfig file \/nonexistent\/kubeconfig does not exist/],
  ])('an input that cannot be read (%j): exit 2 and one line, before asking the store anything', async (args, error) => {
    const run = await runCli(['analyze', '--prometheus', NOWHERE, '-q', ...args]);
    expectOneLineFailure(run, error);
  });

  it('prints the report\'s JSON Schema, as committed in docs/report.schema.json', async () => {
    const run = await runCli(['schema']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(`${REPO_ROOT}docs/report.schema.json`, 'utf8'));
  });

  it('refuses to write into a folder that is not empty, before asking the store anything', async () => {
    const out = mkdtempSync(join(tmpdir(), 'headroom-out-'));
    writeFileSync(join(out, 'keep.yaml'), 'mine\n');
    const run = await runCli(['recommend', '--prometheus', NOWHERE, '--out', out, '-q']);
    expectOneLineFailure(run, /--out .* is not empty; choose an empty or new folder, or pass --force/);
    expect(readFileSync(join(out, 'keep.yaml'), 'utf8')).toBe('mine\n');
  });
});

describe('headroom silences', () => {
  it('adds, lists and removes silences in the store HEADROOM_STORE names, and never creates one to list it', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'headroom-silences-')), 'headroom.db');
    const env = { HEADROOM_STORE: store, USER: 'oncall' };
    const empty = await runCli(['silences', 'list'], { env });
    expect(empty.stdout).toBe(`no active silences in ${store}\n`);
    expect(existsSync(store)).toBe(false);

    const add = await runCli(['silences', 'add', 'missing-pdb', '--target', 'fulfilment/Deployment/shipping', '--reason', 'replaced next sprint', '--expires', '2099-01-01T00:00:00Z'], { env });
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toBe('silence 1: missing-pdb on fulfilment/Deployment/shipping until 2099-01-01 00:00 UTC: replaced next sprint\n');
    const ruleWide = await runCli(['silences', 'add', 'hot-shard', '--reason', 'known skew', '--format', 'json'], { env });
    expect(JSON.parse(ruleWide.stdout)).toMatchObject({ id: 2, rule: 'hot-shard', target: null, reason: 'known skew', createdBy: 'oncall', expired: false });

    const list = await runCli(['silences', 'list'], { env });
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +RULE +TARGET +EXPIRES +BY +REASON$/);
    expect(list.stdout).toMatch(/\n 1 +missing-pdb +fulfilment\/Deployment\/shipping +2099-01-01 00:00 UTC +oncall +replaced next sprint\n/);
    expect(list.stdout).toMatch(/\n 2 +hot-shard +\(every target\) +/);

    expect((await runCli(['silences', 'remove', '1'], { env })).stdout).toBe('silence 1 removed\n');
    const json = await runCli(['silences', 'list', '--format', 'json'], { env });
    expect((JSON.parse(json.stdout) as Array<{ id: number }>).map((silence) => silence.id)).toEqual([2]);
    expectOneLineFailure(await runCli(['silences', 'remove', '1'], { env }), /There is no silence 1 in .*headroom\.db; list them to see their ids/);
  });

  it.each([
    [['add', 'hot-shard', '--reason', 'x', '--expires', '3600'], /--expires: "3600" is ambiguous/],
    [['add', 'hot-shard', '--reason', 'x', '--target', 'shipping'], /--target: "shipping" is not namespace\/Kind\/name/],
    [['add', 'hot-shard', '--reason', ' ', '--expires', '1d'], /say why the finding is silenced/],
    [['remove', 'one'], /"one" is not a silence id/],
  ])('silences %j is refused', async (args, error) => {
    const store = join(mkdtempSync(join(tmpdir(), 'headroom-silences-')), 'headroom.db');
    const run = await runCli(['silences', ...args, '--store', store]);
    expect(run.status).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(error);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('headroom against a failing store', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(async () => {
    await server.close();
  });

  const analyze = (url: string, ...extra: string[]): Promise<CliRun> => runCli(['analyze', '--prometheus', url, '--format', 'json', '-q', ...extra]);

  it('an unreachable port: exit 2, one line naming the URL and what to check', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    expectOneLineFailure(await analyze(url), new RegExp(`Could not connect to ${url} \\(ECONNREFUSED\\); check the URL and that the store is running`));
  });

  it('HTTP 500: exit 2 after the retries, with what the store said', async () => {
    server.reset();
    server.handle(() => failure(500, 'internal', 'out of memory'));
    const run = await analyze(server.url);
    expectOneLineFailure(run, /500 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/\S+: out of memory; the store failed, retry later \(gave up after 3 attempts\)/);
    expect(server.requests).toHaveLength(3);
  });

  it('malformed JSON: exit 2, saying the body was cut off', async () => {
    server.reset();
    server.handle(() => ({ text: '{"status":"success","data":{"resultType":"vec' }));
    expectOneLineFailure(await analyze(server.url), /is cut-off JSON \(\d+ bytes\); a proxy in between may have truncated it/);
  });

  it('a store that never answers: exit 2 after --timeout, not the default two minutes', async () => {
    server.reset();
    server.handle(() => ({ hang: true }));
    const run = await analyze(server.url, '--timeout', '1s');
    expectOneLineFailure(run, /did not answer within 1 s; check the URL or raise the timeout/);
    expect(run.ms).toBeLessThan(20_000);
  });

  it('backtest and recommend fail the same way', async () => {
    server.reset();
    server.handle(() => failure(500, 'internal', 'out of memory'));
    const out = join(mkdtempSync(join(tmpdir(), 'headroom-out-')), 'new');
    const [backtest, recommend] = await Promise.all([
      runCli(['backtest', '--prometheus', server.url, '-q']),
      runCli(['recommend', '--prometheus', server.url, '--out', out, '-q']),
    ]);
    expectOneLineFailure(backtest, /500 from .*: out of memory; the store failed/);
    expectOneLineFailure(recommend, /500 from .*: out of memory; the store failed/);
  });

  it('reports progress on stderr only, one plain line per step when stderr is not a terminal', async () => {
    server.reset();
    server.handle(() => ({ hang: true }));
    const run = await runCli(['analyze', '--prometheus', server.url, '--timeout', '1s']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = errorLines(run.stderr);
    expect(lines[0]).toMatch(/^headroom: checking which metrics the store holds \(0 s\)$/);
    expect(lines.at(-1)).toMatch(/did not answer within 1 s/);
  });

  it('Ctrl-C cancels the query in flight and exits 130', async () => {
    server.reset();
    server.handle(() => ({ hang: true }));
    const { child, done } = startCli(['analyze', '--prometheus', server.url, '-q']);
    for (let i = 0; i < 100 && server.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests.length).toBeGreaterThan(0);
    child.kill('SIGINT');
    const run = await done;
    expect(run.status).toBe(130);
    expect(errorLines(run.stderr)).toEqual(['headroom: cancelled']);
    expect(run.stdout).toBe('');
  });
});
