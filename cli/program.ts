/**
 * The `headroom` command line: its commands and flags (commander), and how a run ends. Flags are parsed and
 * checked here; each command's handler builds core's request and formats what comes back.
 *
 * Exit codes: 0 done; 3 when `--fail-on` is met; 2 for usage, connection, response and input errors, with
 * one line on stderr; 130 when cancelled with Ctrl-C.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import type { AnalyzeFlags, RecommendFlags } from './commands/analyze';
import type { BacktestCommandFlags } from './commands/backtest';
import type { SilenceAddFlags } from './commands/silences';
import type { CliContext } from './context';
import { EXIT, oneLine, UsageError, type ExitCode } from './errors';
import { collect, parseAmountFlag, parseDurationFlag, parsePercentileFlag, STRATEGIES, WINDOW_BOUNDS } from './flags';

/** A flag parser for commander: our message, without the flag name commander adds itself. */
function parser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message.replace(/^--[\w-]+: /, ''));
    }
  };
}

const duration = (flag: string, bounds: { min?: number; max?: number } = {}) => parser((text) => parseDurationFlag(text, flag, bounds));

/** `--strategy` given once or more, each one of the strategies. */
function strategyList(value: string, previous: readonly string[] = []): string[] {
  if (!(STRATEGIES as readonly string[]).includes(value)) throw new InvalidArgumentError(`Allowed choices are ${STRATEGIES.join(', ')}.`);
  return [...previous, value];
}

const GROUPS = {
  prometheus: 'Prometheus (any PromQL-compatible store):',
  kubernetes: 'Kubernetes objects (optional; without them the analysis uses metrics alone):',
  analysis: 'Analysis:',
  output: 'Output:',
};

function addConnectionOptions(command: Command): Command {
  const group = GROUPS.prometheus;
  return command
    .addOption(new Option('--prometheus <url>', 'base URL of the store, path prefix included (Mimir: …/prometheus)').env('HEADROOM_PROMETHEUS_URL').makeOptionMandatory().helpGroup(group))
    .addOption(new Option('--bearer-token-file <file>', 'read a bearer token from this file').helpGroup(group))
    .addOption(new Option('--bearer-token <token>', 'bearer token (prefer --bearer-token-file or HEADROOM_PROMETHEUS_TOKEN: flags show in ps)').helpGroup(group))
    .addOption(new Option('--basic-auth <user>', 'basic auth user; the password from HEADROOM_PROMETHEUS_PASSWORD (user:password works but leaks into shell history)').helpGroup(group))
    .addOption(new Option('--header <"Name: value">', 'send this header with every request, e.g. "X-Scope-OrgID: tenant" (repeatable)').argParser(collect).helpGroup(group))
    .addOption(new Option('--ca-file <file>', 'PEM file of the CA that signed the store\'s certificate').helpGroup(group))
    .addOption(new Option('--insecure-skip-verify', 'do not verify the store\'s TLS certificate (test setups only)').helpGroup(group))
    .addOption(new Option('--timeout <duration>', 'how long one request may take (default: 2m)').argParser(duration('--timeout', { min: 0.1, max: 600 })).helpGroup(group))
    .addOption(new Option('--matcher <matcher>', 'label matcher added to every query, e.g. cluster="prod-eu" (repeatable)').argParser(collect).helpGroup(group));
}

function addKubernetesOptions(command: Command): Command {
  const group = GROUPS.kubernetes;
  return command
    .addOption(new Option('--manifests <dir>', 'read workloads, HPAs and PDBs from this folder of YAML (or one file)').conflicts(['kubeconfig', 'context']).helpGroup(group))
    .addOption(new Option('--kubeconfig <file>', 'read them from the cluster of this kubeconfig (read-only)').helpGroup(group))
    .addOption(new Option('--context <name>', 'the kubeconfig context to use (default: the current one)').helpGroup(group));
}

function addScopeOptions(command: Command): Command {
  const group = GROUPS.analysis;
  return command
    .addOption(new Option('--namespace <ns>', 'only these namespaces (repeatable or comma-separated)').argParser(collect).helpGroup(group))
    .addOption(new Option('--at <time>', 'end of the analysed time: unix seconds or RFC 3339 (2026-11-12T18:00:00Z); default now').helpGroup(group))
    .addOption(new Option('--cpu-percentile <p>', 'share of CPU usage a request covers (headroom strategy): 0.95, 95% or p95').argParser(parser((t) => parsePercentileFlag(t, '--cpu-percentile'))).helpGroup(group))
    .addOption(new Option('--scrape-interval <duration>', 'the kubelet\'s scrape interval (default 60s)').argParser(duration('--scrape-interval', { min: 5, max: 600 })).helpGroup(group));
}

function addAnalysisOptions(command: Command): Command {
  const group = GROUPS.analysis;
  return addScopeOptions(addKubernetesOptions(addConnectionOptions(command)))
    .addOption(new Option('--window <duration>', 'how much history to analyse').argParser(duration('--window', WINDOW_BOUNDS)).default(7 * 86_400, '7d').helpGroup(group))
    .addOption(new Option('--slo <file>', 'SLO file (YAML) with objectives per service').helpGroup(group))
    .addOption(new Option('--strategy <name>', 'right-sizing strategy').choices(STRATEGIES).helpGroup(group))
    .addOption(new Option('--keda <url>', 'propose KEDA ScaledObjects querying this Prometheus (as KEDA reaches it) instead of HPAs fed by prometheus-adapter').helpGroup(group))
    .addOption(new Option('--store <file>', 'the Headroom store whose silences apply (default: HEADROOM_STORE or the per-user store; missing = no silences)').helpGroup(group));
}

function addOutputOptions(command: Command, formats: readonly string[]): Command {
  return command
    .addOption(new Option('--format <format>', 'output format').choices(formats).default('table').helpGroup(GROUPS.output))
    .addOption(new Option('-q, --quiet', 'no progress on stderr').helpGroup(GROUPS.output));
}

function addPriceOptions(command: Command): Command {
  const amount = (flag: string) => parser((text) => parseAmountFlag(text, flag));
  return command
    .addOption(new Option('--price-cpu <amount>', 'price of one core for one hour (default: illustrative OpenCost defaults)').argParser(amount('--price-cpu')).helpGroup(GROUPS.output))
    .addOption(new Option('--price-memory <amount>', 'price of one GiB for one hour').argParser(amount('--price-memory')).helpGroup(GROUPS.output))
    .addOption(new Option('--currency <code>', 'currency of the prices').default('USD').helpGroup(GROUPS.output));
}

/** Repeatable flags not given at all are empty lists, as handlers expect. */
function optionsOf<T>(command: Command, lists: readonly string[] = []): T {
  const options: Record<string, unknown> = { ...command.opts() };
  for (const key of ['header', 'matcher', 'namespace', ...lists]) options[key] ??= [];
  return options as T;
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('headroom');

  /** Runs a handler; a failure becomes its exit code and line, with the command's help after a usage error. */
  const run =
    (handler: (command: Command) => Promise<ExitCode> | ExitCode) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      try {
        exitCode = await handler(command);
      } catch (error) {
        if (error instanceof UsageError) {
          context.stderr.write(`headroom: ${oneLine(error.message)}\n\n${command.helpInformation()}`);
          exitCode = EXIT.failed;
          return;
        }
        // Loaded here: it imports every error class of core, which `--help` need not wait for.
        const { describeFailure } = await import('./failure');
        const failure = describeFailure(error, { debug: context.env.HEADROOM_DEBUG === '1', interrupted: context.signal.aborted });
        context.stderr.write(`headroom: ${failure.line}\n`);
        if (failure.stack) context.stderr.write(`${failure.stack}\n`);
        exitCode = failure.code;
      }
    };

  program
    .description(packageJson.description)
    .version(packageJson.version)
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
      outputError: (text, write) => write(`headroom: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showHelpAfterError()
    .allowExcessArguments(false)
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 3 when --fail-on is met, 2 for usage, connection and response errors, 130 when cancelled.\n' +
        'Secrets: prefer --bearer-token-file, HEADROOM_PROMETHEUS_TOKEN or HEADROOM_PROMETHEUS_PASSWORD to flags.',
    );

  addOutputOptions(
    addAnalysisOptions(
      program
        .command('analyze')
        .description('analyse services, name bottlenecks and propose changes; prints the report')
        .allowExcessArguments(false),
    ),
    ['table', 'json', 'markdown'],
  )
    .addOption(new Option('--fail-on <severity>', 'exit 3 when an unsilenced finding is this severe or worse').choices(['critical', 'warning']).helpGroup(GROUPS.output))
    .addHelpText('after', '\n--format json prints exactly the report contract (docs/report.schema.json) on stdout and nothing else.')
    .action(run(async (command) => (await import('./commands/analyze')).analyzeCommand(optionsOf<AnalyzeFlags>(command), context)));

  addPriceOptions(
    addOutputOptions(
      addAnalysisOptions(
        program
          .command('recommend')
          .description('analyse, then write the proposed manifests and SUMMARY.md into a folder')
          .allowExcessArguments(false),
      ),
      ['table', 'json', 'markdown'],
    ),
  )
    .addOption(new Option('--out <dir>', 'folder to write into (new or empty unless --force)').makeOptionMandatory().helpGroup(GROUPS.output))
    .addOption(new Option('--patches', 'write a kustomize overlay (patches and kustomization.yaml) instead of one file per workload').helpGroup(GROUPS.output))
    .addOption(new Option('--base <path>', 'with --patches: a folder or kustomization the overlay builds on (repeatable)').argParser(collect).helpGroup(GROUPS.output))
    .addOption(new Option('--force', 'write into a folder that is not empty, overwriting files of the same name').helpGroup(GROUPS.output))
    .action(run(async (command) => (await import('./commands/analyze')).recommendCommand(optionsOf<RecommendFlags>(command, ['base']), context)));

  addPriceOptions(
    addOutputOptions(
      addScopeOptions(
        addConnectionOptions(
          program
            .command('backtest')
            .description('fit each right-sizing strategy on one span of history, replay it on the next, compare')
            .allowExcessArguments(false),
        ),
      ),
      ['table', 'json', 'markdown'],
    ),
  )
    .addOption(new Option('--fit <duration>', 'history each strategy is fitted on').argParser(duration('--fit', { min: 3600 })).default(7 * 86_400, '7d').helpGroup(GROUPS.analysis))
    .addOption(new Option('--test <duration>', 'the span after it, ending at --at, the proposals are replayed on').argParser(duration('--test', { min: 3600 })).default(7 * 86_400, '7d').helpGroup(GROUPS.analysis))
    .addOption(new Option('--strategy <name>', `compare only these strategies (repeatable; default all: ${STRATEGIES.join(', ')})`).argParser(strategyList).helpGroup(GROUPS.analysis))
    .action(run(async (command) => (await import('./commands/backtest')).backtestCommand(optionsOf<BacktestCommandFlags>(command, ['strategy']), context)));

  const silences = program.command('silences').description('silence known findings in the local store (add, list, remove)').allowExcessArguments(false);
  const storeOption = (): Option => new Option('--store <file>', 'the Headroom store (default: HEADROOM_STORE or the per-user store)');
  silences
    .command('add')
    .description('silence a rule, on one target or on all of them, until a time')
    .argument('<rule>', 'rule id, e.g. missing-pdb')
    .option('--target <ns/Kind/name>', 'the finding\'s target, e.g. fulfilment/Deployment/shipping (default: every target)')
    .requiredOption('--reason <text>', 'why, for whoever reads the report next')
    .option('--expires <when>', 'a duration from now (7d, 12h) or an RFC 3339 time', '7d')
    .addOption(storeOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .allowExcessArguments(false)
    .action(run(async (command) => (await import('./commands/silences')).silencesAddCommand(String(command.args[0]), command.opts<SilenceAddFlags>(), context)));
  silences
    .command('list')
    .description('the active silences (with --all, expired ones too)')
    .option('--all', 'include expired silences')
    .addOption(storeOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .allowExcessArguments(false)
    .action(run(async (command) => (await import('./commands/silences')).silencesListCommand(command.opts(), context)));
  silences
    .command('remove')
    .description('delete a silence')
    .argument('<id>', 'its id, from `headroom silences list`')
    .addOption(storeOption())
    .allowExcessArguments(false)
    .action(run(async (command) => (await import('./commands/silences')).silencesRemoveCommand(String(command.args[0]), { ...command.opts(), format: 'table' }, context)));

  program
    .command('schema')
    .description('print the JSON Schema of the report that analyze --format json prints')
    .allowExcessArguments(false)
    .action(
      run(async () => {
        context.stdout.write((await import('./report-schema')).reportJsonSchemaText());
        return EXIT.ok;
      }),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.failed;
    throw error;
  }
  return exitCode;
}
