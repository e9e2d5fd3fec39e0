import { describe, expect, it } from 'vitest';
import { findingsAtOrAbove, validatedReport } from '../../cli/commands/analyze';
import { CliError, EXIT, InterruptedError, UsageError } from '../../cli/errors';
import { describeFailure } from '../../cli/failure';
import { SloFileError } from '../../core/analysis/slo';
import { RequestError } from '../../core/api/operations';
import { ManifestError } from '../../core/export/errors';
import { KubernetesError } from '../../core/kubernetes/errors';
import { PrometheusError } from '../../core/prometheus/client';
import { StoreError } from '../../core/store/errors';
import { sampleReport } from './fixtures';

const quiet = { debug: false, interrupted: false };

describe('exit codes and the line on stderr', () => {
  it.each([
    ['PrometheusError', new PrometheusError('unreachable', 'Could not connect to http://p:9090 (ECONNREFUSED); check the URL')],
    ['KubernetesError', new KubernetesError('context-not-found', 'No context "prod" in the kubeconfig; pick one of: dev')],
    ['SloFileError', new SloFileError('slo.yaml line 3: invalid YAML: bad indentation')],
    ['RequestError', new RequestError('window.duration: Too small')],
    ['StoreError', new StoreError('corrupt', '/x/headroom.db is damaged; move it aside')],
    ['ManifestError', new ManifestError('PodDisruptionBudget a/b', [{ field: 'metadata.name', value: 'b', message: 'is taken' }])],
    ['UsageError', new UsageError('--at: "x" is not a time')],
    ['CliError', new CliError('--out x is not empty')],
  ])('%s: exit 2 with its own message', (_, error) => {
    expect(describeFailure(error, quiet)).toEqual({ code: EXIT.failed, line: error.message, stack: null });
  });

  it('folds a multi-line message into one line', () => {
    expect(describeFailure(new SloFileError('slo.yaml: bad\n  at line 3'), quiet).line).toBe('slo.yaml: bad at line 3');
  });

  it.each([
    [new TypeError("Cannot read properties of undefined (reading 'x')"), "TypeError: Cannot read properties of undefined (reading 'x') (this is a bug; run with HEADROOM_DEBUG=1 for a stack trace)"],
    ['a string', 'a string (this is a bug; run with HEADROOM_DEBUG=1 for a stack trace)'],
    [new Error(''), 'Error: (this is a bug; run with HEADROOM_DEBUG=1 for a stack trace)'],
  ])('anything else is a bug, still exit 2 and one line: %s', (error, line) => {
    expect(describeFailure(error, quiet)).toEqual({ code: EXIT.failed, line, stack: null });
  });

  it('gives the stack only under HEADROOM_DEBUG', () => {
    const error = new TypeError('boom');
    expect(describeFailure(error, { debug: true, interrupted: false }).stack).toBe(error.stack);
  });

  it.each([
    ['the CLI noticed Ctrl-C', new InterruptedError(), false],
    ['a query was cancelled by Ctrl-C', new PrometheusError('cancelled', 'The request to http://p/api/v1/query was cancelled'), true],
  ])('%s: exit 130', (_, error, interrupted) => {
    expect(describeFailure(error, { debug: false, interrupted })).toEqual({ code: EXIT.interrupted, line: 'cancelled', stack: null });
  });

  it('a cancelled query without Ctrl-C is an ordinary failure', () => {
    expect(describeFailure(new PrometheusError('cancelled', 'cancelled'), quiet).code).toBe(EXIT.failed);
  });
});

describe('--fail-on and the printed report', () => {
  it.each([
    ['critical', 1],
    ['warning', 2],
  ] as const)('--fail-on %s counts %d unsilenced findings at or above it', (threshold, count) => {
    // The sample has one critical, one warning, one silenced warning and one info finding.
    expect(findingsAtOrAbove(sampleReport(), threshold)).toBe(count);
  });

  it('a silenced critical finding does not fail the run', () => {
    const report = sampleReport();
    report.findings = report.findings.map((f) => (f.rule === 'slo-burn' ? { ...f, silenced: { reason: 'known', expiresAt: 2e9, createdAt: 1e9 } } : f));
    expect(findingsAtOrAbove(report, 'critical')).toBe(0);
  });

  it('prints the report as the contract has it, without fields it does not know', () => {
    const report = { ...sampleReport(), debugOnly: true } as ReturnType<typeof sampleReport>;
    expect(validatedReport(report)).toEqual(sampleReport());
  });

  it('treats a report that breaks its schema as a bug', () => {
    const report = sampleReport();
    report.services = report.services.map((service, i) => (i === 0 ? { ...service, errorRatio: Number.NaN } : service));
    expect(() => validatedReport(report)).toThrow(/^the report does not match its schema at services\.0\.errorRatio: /);
  });
});
