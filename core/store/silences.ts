/**
 * Silences: "this rule, on this target (or on all of them), is known; stop raising it until <time>, because
 * <reason>". A silenced finding stays in the report with its silence attached (`Finding.silenced`), so the
 * reason stays visible next to what it hides.
 *
 * Expired silences are kept as history and listed on request; they never match. Removing one deletes it.
 */
import { z } from 'zod';
import type { TargetRef, silenceRefSchema } from '../api/report';
import { read, write, type StoreContext } from './context';
import { StoreError } from './errors';
import { isoTime, parseInput, parseRowId } from './validation';

/** What the report carries on a silenced finding. */
export type SilenceRef = z.infer<typeof silenceRefSchema>;

export interface SilenceInput {
  rule: string;
  /** null: every target of the rule. */
  target: TargetRef | null;
  reason: string;
  /** Unix seconds, whole; must be in the future. */
  expiresAt: number;
  createdBy?: string | null;
}

export interface Silence {
  id: number;
  rule: string;
  target: TargetRef | null;
  reason: string;
  createdAt: number;
  expiresAt: number;
  createdBy: string | null;
  /** Whether it had expired by the store's clock when it was read. */
  expired: boolean;
}

export interface SilenceListOptions {
  /** Include silences whose expiry has passed (history); false by default. */
  includeExpired?: boolean;
}

/** Decides whether a finding is silenced; pure, built from the silences active at one time. */
export type SilenceMatcher = (finding: { rule: string; target: TargetRef }) => SilenceRef | null;

export interface SilenceStore {
  add(input: SilenceInput): Silence;
  /** Newest first. */
  list(options?: SilenceListOptions): Silence[];
  /** Throws a `not-found` StoreError for an unknown id. */
  remove(id: number): void;
  /** Sets a new expiry, later or earlier, as long as it is in the future; an expired silence comes back. */
  extend(id: number, expiresAt: number): Silence;
  /**
   * The silences active at `time` (unix seconds), as a function the analysis applies to each finding.
   * An exact-target silence wins over a rule-wide one; among equals, the one expiring last.
   */
  matcherAt(time: number): SilenceMatcher;
}

/** Rule ids as `rules/` names them (`db-pool-exhausted`): also what the CLI and URLs carry. */
const RULE_ID = /^[a-z0-9-]+$/;

const targetSchema = z.strictObject({
  // Empty for cluster-scoped objects (a Node, a PriorityClass).
  namespace: z.string(),
  kind: z.string().min(1, 'name the kind, e.g. Deployment'),
  name: z.string().min(1, 'name the object'),
});

// The upper bound (year 9999) catches milliseconds passed for seconds, which would silence for ever.
const wholeSeconds = z.number().int('use whole unix seconds').max(253_402_300_799, 'use unix seconds, not milliseconds');

const silenceInputSchema = z.strictObject({
  rule: z.string().regex(RULE_ID, 'rule ids are lower-case letters, digits and dashes'),
  target: targetSchema.nullable(),
  reason: z.string().trim().min(1, 'say why the finding is silenced'),
  expiresAt: wholeSeconds,
  createdBy: z.string().trim().min(1).nullable().optional(),
});

interface SilenceRow {
  id: number;
  rule: string;
  target_namespace: string | null;
  target_kind: string | null;
  target_name: string | null;
  reason: string;
  created_at: number;
  expires_at: number;
  created_by: string | null;
}

export function createSilenceStore(context: StoreContext): SilenceStore {
  const { db } = context;

  const fromRow = (row: SilenceRow): Silence => ({
    id: row.id,
    rule: row.rule,
    target:
      row.target_namespace === null || row.target_kind === null || row.target_name === null
        ? null
        : { namespace: row.target_namespace, kind: row.target_kind, name: row.target_name },
    reason: row.reason,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    expired: row.expires_at <= context.now(),
  });

  const requireFuture = (expiresAt: number, action: string): void => {
    const now = context.now();
    if (expiresAt <= now) {
      throw new StoreError(
        'invalid',
        `${action}: expiresAt ${isoTime(expiresAt)} is not in the future (now is ${isoTime(now)}); pick a later time.`,
      );
    }
  };

  const notFound = (id: number): StoreError =>
    new StoreError('not-found', `There is no silence ${id} in ${context.file}; list them to see their ids.`);

  return {
    add(input) {
      const action = 'Cannot add the silence';
      const silence = parseInput(silenceInputSchema, input, action);
      requireFuture(silence.expiresAt, action);
      const row = write(context, () =>
        db
          .prepare<unknown[], SilenceRow>(
            `INSERT INTO silences (rule, target_namespace, target_kind, target_name, reason, created_at, expires_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          )
          .get(
            silence.rule,
            silence.target?.namespace ?? null,
            silence.target?.kind ?? null,
            silence.target?.name ?? null,
            silence.reason,
            context.now(),
            silence.expiresAt,
            silence.createdBy ?? null,
          ),
      );
      // RETURNING yields the inserted row; an INSERT without error always has one.
      return fromRow(row as SilenceRow);
    },

    list(options = {}) {
      return read(context, () => {
        const rows = options.includeExpired
          ? db.prepare<[], SilenceRow>('SELECT * FROM silences ORDER BY created_at DESC, id DESC').all()
          : db
              .prepare<[number], SilenceRow>('SELECT * FROM silences WHERE expires_at > ? ORDER BY created_at DESC, id DESC')
              .all(context.now());
        return rows.map(fromRow);
      });
    },

    remove(id) {
      const rowId = parseRowId(id, 'Silence');
      write(context, () => {
        if (db.prepare('DELETE FROM silences WHERE id = ?').run(rowId).changes === 0) throw notFound(rowId);
      });
    },

    extend(id, expiresAt) {
      const rowId = parseRowId(id, 'Silence');
      const action = `Cannot change silence ${rowId}`;
      const newExpiry = parseInput(wholeSeconds, expiresAt, action);
      requireFuture(newExpiry, action);
      const row = write(context, () =>
        db
          .prepare<[number, number], SilenceRow>('UPDATE silences SET expires_at = ? WHERE id = ? RETURNING *')
          .get(newExpiry, rowId),
      );
      if (row === undefined) throw notFound(rowId);
      return fromRow(row);
    },

    matcherAt(time) {
      if (!Number.isFinite(time)) throw new StoreError('invalid', `Cannot match silences at ${String(time)}: use unix seconds.`);
      const rows = read(context, () =>
        db.prepare<[number], SilenceRow>('SELECT * FROM silences WHERE expires_at > ?').all(time),
      );
      return buildMatcher(rows.map(fromRow));
    },
  };
}

/**
 * Indexes the active silences by rule, then by exact target, keeping the best of each slot, so matching a
 * report's findings costs one map lookup each and touches no database.
 */
function buildMatcher(active: readonly Silence[]): SilenceMatcher {
  const byRule = new Map<string, { ruleWide: Silence | null; exact: Map<string, Silence> }>();
  for (const silence of active) {
    let slots = byRule.get(silence.rule);
    if (slots === undefined) {
      slots = { ruleWide: null, exact: new Map() };
      byRule.set(silence.rule, slots);
    }
    if (silence.target === null) {
      slots.ruleWide = preferred(slots.ruleWide, silence);
    } else {
      const key = targetKey(silence.target);
      slots.exact.set(key, preferred(slots.exact.get(key) ?? null, silence));
    }
  }
  return (finding) => {
    const slots = byRule.get(finding.rule);
    if (slots === undefined) return null;
    const silence = slots.exact.get(targetKey(finding.target)) ?? slots.ruleWide;
    return silence === null ? null : { reason: silence.reason, expiresAt: silence.expiresAt, createdAt: silence.createdAt };
  };
}

/** The one expiring last; then the newer one, then the higher id, so the choice never depends on row order. */
function preferred(current: Silence | null, candidate: Silence): Silence {
  if (current === null) return candidate;
  const order =
    candidate.expiresAt - current.expiresAt || candidate.createdAt - current.createdAt || candidate.id - current.id;
  return order > 0 ? candidate : current;
}

/** JSON, not a joined string: names may contain any separator we could pick. */
function targetKey(target: TargetRef): string {
  return JSON.stringify([target.namespace, target.kind, target.name]);
}
