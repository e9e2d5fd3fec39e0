/** `silences add|list|remove` over the local store. */
import { existsSync } from 'node:fs';
import type { Silence } from '../../core/store/silences';
import { RULES } from '../../rules/index';
import type { CliContext } from '../context';
import { CliError, EXIT, UsageError, type ExitCode } from '../errors';
import { parseExpiresFlag, parseTargetFlag } from '../flags';
import { targetName } from '../format/recommendations';
import { columns, formatTime } from '../format/text';
import { storePath, withStore } from '../store';

interface StoreFlags {
  store?: string;
  format: 'json' | 'table';
}

export interface SilenceAddFlags extends StoreFlags {
  target?: string;
  reason: string;
  expires: string;
}

function requireStorePath(flags: StoreFlags, context: CliContext): string {
  const path = storePath(flags.store, context.env, context.platform);
  if (path === null) throw new UsageError('--store: no default location (HOME and HEADROOM_STORE are not set); pass --store FILE');
  return path;
}

function silenceLine(silence: Silence): string {
  return `${silence.rule} on ${silence.target ? targetName(silence.target) : 'every target'} until ${formatTime(silence.expiresAt)}: ${silence.reason}`;
}

export function silencesAddCommand(rule: string, flags: SilenceAddFlags, context: CliContext): ExitCode {
  if (RULES[rule] === undefined) {
    throw new UsageError(`"${rule}" is not a rule id; the rules are ${Object.keys(RULES).join(', ')}`);
  }
  const target = flags.target === undefined ? null : parseTargetFlag(flags.target);
  const expiresAt = parseExpiresFlag(flags.expires, context.now());
  const createdBy = context.env.USER ?? context.env.USERNAME ?? null;
  const silence = withStore(requireStorePath(flags, context), (store) =>
    store.silences.add({ rule, target, reason: flags.reason, expiresAt, createdBy: createdBy === '' ? null : createdBy }),
  );
  context.stdout.write(flags.format === 'json' ? `${JSON.stringify(silence, null, 2)}\n` : `silence ${silence.id}: ${silenceLine(silence)}\n`);
  return EXIT.ok;
}

export function silencesListCommand(flags: StoreFlags & { all?: boolean }, context: CliContext): ExitCode {
  const path = requireStorePath(flags, context);
  // Listing never creates a store: a missing one holds no silences.
  const silences = existsSync(path) ? withStore(path, (store) => store.silences.list({ includeExpired: flags.all === true })) : [];
  if (flags.format === 'json') {
    context.stdout.write(`${JSON.stringify(silences, null, 2)}\n`);
    return EXIT.ok;
  }
  if (silences.length === 0) {
    context.stdout.write(`no ${flags.all ? '' : 'active '}silences in ${path}\n`);
    return EXIT.ok;
  }
  const rows = silences.map((s) => [
    String(s.id),
    s.rule,
    s.target ? targetName(s.target) : '(every target)',
    `${formatTime(s.expiresAt)}${s.expired ? ' (expired)' : ''}`,
    s.createdBy ?? '',
    s.reason,
  ]);
  context.stdout.write(`${columns([['ID', 'RULE', 'TARGET', 'EXPIRES', 'BY', 'REASON'], ...rows], ['right']).join('\n')}\n`);
  return EXIT.ok;
}

export function silencesRemoveCommand(id: string, flags: StoreFlags, context: CliContext): ExitCode {
  if (!/^\d+$/.test(id)) throw new UsageError(`"${id}" is not a silence id; \`headroom silences list\` shows them`);
  const path = requireStorePath(flags, context);
  if (!existsSync(path)) throw new CliError(`There is no silence ${id}: the store ${path} does not exist yet`);
  withStore(path, (store) => store.silences.remove(Number(id)));
  context.stdout.write(`silence ${id} removed\n`);
  return EXIT.ok;
}
