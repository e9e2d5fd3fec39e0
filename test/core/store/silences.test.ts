import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetRef } from '../../../core/api/report';
import { openStore, type HeadroomStore } from '../../../core/store/open';
import type { SilenceInput } from '../../../core/store/silences';
import { manualClock, storeError, useTemporaryFolder } from './helpers';

const T0 = 1_700_000_000;
const HOUR = 3600;

const cart: TargetRef = { namespace: 'shop', kind: 'Deployment', name: 'cart' };
const checkout: TargetRef = { namespace: 'shop', kind: 'Deployment', name: 'checkout' };
const rule = 'cpu-throttled';

function input(overrides: Partial<SilenceInput> = {}): SilenceInput {
  return { rule, target: cart, reason: 'known', expiresAt: T0 + HOUR, ...overrides };
}

describe('silences', () => {
  const folder = useTemporaryFolder();
  let clock: ReturnType<typeof manualClock>;
  let store: HeadroomStore;

  beforeEach(() => {
    clock = manualClock(T0);
    store = openStore(join(folder.path, 'headroom.db'), { clock: clock.clock });
  });
  afterEach(() => {
    store.close();
  });

  describe('matcherAt', () => {
    type Case = {
      name: string;
      silences: Array<Partial<SilenceInput>>;
      finding: { rule: string; target: TargetRef };
      /** Seconds after T0 the matcher is built for. */
      at?: number;
      /** The reason of the silence that should match, or null. */
      expected: string | null;
    };

    const cases: Case[] = [
      { name: 'exact target matches', silences: [{ reason: 'exact' }], finding: { rule, target: cart }, expected: 'exact' },
      {
        name: 'rule-wide covers every target of the rule',
        silences: [{ target: null, reason: 'all of them' }],
        finding: { rule, target: checkout },
        expected: 'all of them',
      },
      { name: 'another rule is not silenced', silences: [{ reason: 'exact' }], finding: { rule: 'oom-risk', target: cart }, expected: null },
      {
        name: 'rule-wide of another rule does not match',
        silences: [{ rule: 'oom-risk', target: null }],
        finding: { rule, target: cart },
        expected: null,
      },
      { name: 'another name is not silenced', silences: [{}], finding: { rule, target: checkout }, expected: null },
      {
        name: 'another namespace is not silenced',
        silences: [{}],
        finding: { rule, target: { ...cart, namespace: 'staging' } },
        expected: null,
      },
      {
        name: 'another kind with the same name is not silenced',
        silences: [{}],
        finding: { rule, target: { ...cart, kind: 'StatefulSet' } },
        expected: null,
      },
      {
        name: 'names are compared exactly, not ignoring case',
        silences: [{}],
        finding: { rule, target: { ...cart, name: 'Cart' } },
        expected: null,
      },
      {
        name: 'a cluster-scoped target (empty namespace) matches only itself',
        silences: [{ target: { namespace: '', kind: 'Node', name: 'node-1' }, reason: 'node' }],
        finding: { rule, target: { namespace: '', kind: 'Node', name: 'node-1' } },
        expected: 'node',
      },
      {
        name: 'exact target wins over rule-wide, even when the rule-wide one expires later',
        silences: [
          { target: null, reason: 'rule-wide', expiresAt: T0 + 10 * HOUR },
          { reason: 'exact', expiresAt: T0 + HOUR },
        ],
        finding: { rule, target: cart },
        expected: 'exact',
      },
      {
        name: 'rule-wide still covers the targets without an exact silence',
        silences: [
          { target: null, reason: 'rule-wide' },
          { reason: 'exact' },
        ],
        finding: { rule, target: checkout },
        expected: 'rule-wide',
      },
      {
        name: 'among exact silences the one expiring last wins, whatever the order of creation',
        silences: [
          { reason: 'two hours', expiresAt: T0 + 2 * HOUR },
          { reason: 'three hours', expiresAt: T0 + 3 * HOUR },
          { reason: 'one hour', expiresAt: T0 + HOUR },
        ],
        finding: { rule, target: cart },
        expected: 'three hours',
      },
      {
        name: 'among rule-wide silences the one expiring last wins',
        silences: [
          { target: null, reason: 'later', expiresAt: T0 + 5 * HOUR },
          { target: null, reason: 'sooner', expiresAt: T0 + 2 * HOUR },
        ],
        finding: { rule, target: cart },
        expected: 'later',
      },
      {
        name: 'an expired silence never matches',
        silences: [{ expiresAt: T0 + HOUR }],
        finding: { rule, target: cart },
        at: HOUR + 1,
        expected: null,
      },
      {
        name: 'a silence has expired at its expiry time',
        silences: [{ expiresAt: T0 + HOUR }],
        finding: { rule, target: cart },
        at: HOUR,
        expected: null,
      },
      {
        name: 'a silence is active one second before its expiry',
        silences: [{ expiresAt: T0 + HOUR, reason: 'active' }],
        finding: { rule, target: cart },
        at: HOUR - 1,
        expected: 'active',
      },
      {
        name: 'an expired exact silence falls back to an active rule-wide one',
        silences: [
          { reason: 'exact', expiresAt: T0 + HOUR },
          { target: null, reason: 'rule-wide', expiresAt: T0 + 3 * HOUR },
        ],
        finding: { rule, target: cart },
        at: 2 * HOUR,
        expected: 'rule-wide',
      },
      {
        name: 'an expired exact silence does not hide a later active one on the same target',
        silences: [
          { reason: 'old', expiresAt: T0 + HOUR },
          { reason: 'current', expiresAt: T0 + 3 * HOUR },
        ],
        finding: { rule, target: cart },
        at: 2 * HOUR,
        expected: 'current',
      },
    ];

    it.each(cases)('$name', ({ silences, finding, at = 0, expected }) => {
      for (const silence of silences) store.silences.add(input(silence));
      const match = store.silences.matcherAt(T0 + at)(finding);
      expect(match?.reason ?? null).toBe(expected);
    });

    it('returns the reference the report carries: reason, expiry and creation time', () => {
      clock.now = T0 + 60;
      store.silences.add(input({ reason: 'waiting for the new node pool', expiresAt: T0 + 2 * HOUR }));
      expect(store.silences.matcherAt(T0 + 120)({ rule, target: cart })).toEqual({
        reason: 'waiting for the new node pool',
        expiresAt: T0 + 2 * HOUR,
        createdAt: T0 + 60,
      });
    });

    it('is a snapshot: later changes to the store do not change a matcher already built', () => {
      const matcher = store.silences.matcherAt(T0);
      store.silences.add(input());
      expect(matcher({ rule, target: cart })).toBeNull();
      expect(store.silences.matcherAt(T0)({ rule, target: cart })).not.toBeNull();
    });

    it('refuses a time that is not a number of seconds', () => {
      expect(storeError(() => store.silences.matcherAt(Number.NaN)).reason).toBe('invalid');
    });
  });

  describe('add', () => {
    it('returns the saved silence with an id, its creation time and who made it', () => {
      clock.now = T0 + 5;
      const saved = store.silences.add(input({ reason: '  known  ', createdBy: 'ana' }));
      expect(saved).toEqual({
        id: 1,
        rule,
        target: cart,
        reason: 'known',
        createdAt: T0 + 5,
        expiresAt: T0 + HOUR,
        createdBy: 'ana',
        expired: false,
      });
      expect(store.silences.add(input({ target: null })).target).toBeNull();
      expect(store.silences.list().map((silence) => silence.createdBy)).toEqual([null, 'ana']);
    });

    const invalid: Array<[string, Partial<SilenceInput> | Record<string, unknown>, RegExp]> = [
      ['an empty reason', { reason: '' }, /reason: say why the finding is silenced/],
      ['a blank reason', { reason: '   ' }, /reason: say why the finding is silenced/],
      ['an expiry in the past', { expiresAt: T0 - 1 }, /is not in the future \(now is 2023-11-14T22:13:20Z\)/],
      ['an expiry right now', { expiresAt: T0 }, /is not in the future/],
      ['a fractional expiry', { expiresAt: T0 + 0.5 }, /expiresAt: use whole unix seconds/],
      ['an expiry in milliseconds', { expiresAt: (T0 + HOUR) * 1000 }, /expiresAt: use unix seconds, not milliseconds/],
      ['an upper-case rule id', { rule: 'CPU-throttled' }, /rule: rule ids are lower-case letters, digits and dashes/],
      ['a rule id with an underscore', { rule: 'cpu_throttled' }, /rule ids are lower-case/],
      ['an empty rule id', { rule: '' }, /rule ids are lower-case/],
      ['a target without a kind', { target: { namespace: 'shop', kind: '', name: 'cart' } }, /target\.kind: name the kind/],
      ['a target without a name', { target: { namespace: 'shop', kind: 'Deployment', name: '' } }, /target\.name: name the object/],
      ['an unknown field', { severity: 'critical' }, /Unrecognized key/],
    ];

    it.each(invalid)('refuses %s', (_name, overrides, message) => {
      const error = storeError(() => store.silences.add({ ...input(), ...overrides } as SilenceInput));
      expect(error.reason).toBe('invalid');
      expect(error.message).toMatch(/^Cannot add the silence: /);
      expect(error.message).toMatch(message);
      expect(store.silences.list({ includeExpired: true })).toEqual([]);
    });

    it('uses the injected clock to decide what is in the future', () => {
      clock.now = T0 + 2 * HOUR;
      expect(storeError(() => store.silences.add(input({ expiresAt: T0 + HOUR }))).reason).toBe('invalid');
      expect(store.silences.add(input({ expiresAt: T0 + 3 * HOUR })).expiresAt).toBe(T0 + 3 * HOUR);
    });
  });

  describe('list', () => {
    it('hides expired silences unless asked, and keeps them as history', () => {
      const short = store.silences.add(input({ reason: 'short', expiresAt: T0 + HOUR }));
      clock.now = T0 + 10;
      const long = store.silences.add(input({ reason: 'long', expiresAt: T0 + 3 * HOUR }));
      expect(store.silences.list().map((silence) => silence.id)).toEqual([long.id, short.id]);

      clock.now = T0 + 2 * HOUR;
      expect(store.silences.list()).toEqual([{ ...long, expired: false }]);
      expect(store.silences.list({ includeExpired: true })).toEqual([
        { ...long, expired: false },
        { ...short, expired: true },
      ]);
    });
  });

  describe('extend', () => {
    it('moves the expiry, and brings an expired silence back', () => {
      const saved = store.silences.add(input({ expiresAt: T0 + HOUR }));
      clock.now = T0 + 2 * HOUR;
      expect(store.silences.matcherAt(clock.now)({ rule, target: cart })).toBeNull();

      const extended = store.silences.extend(saved.id, T0 + 5 * HOUR);
      expect(extended).toEqual({ ...saved, expiresAt: T0 + 5 * HOUR, expired: false });
      expect(store.silences.matcherAt(clock.now)({ rule, target: cart })?.expiresAt).toBe(T0 + 5 * HOUR);
      expect(store.silences.list()).toEqual([extended]);
    });

    it('refuses an expiry that is not in the future and leaves the silence as it was', () => {
      const saved = store.silences.add(input({ expiresAt: T0 + HOUR }));
      const error = storeError(() => store.silences.extend(saved.id, T0 - 60));
      expect(error.reason).toBe('invalid');
      expect(error.message).toMatch(/^Cannot change silence 1: expiresAt .* is not in the future/);
      expect(store.silences.list()).toEqual([saved]);
    });

    it('names an unknown silence', () => {
      const error = storeError(() => store.silences.extend(42, T0 + HOUR));
      expect(error.reason).toBe('not-found');
      expect(error.message).toBe(`There is no silence 42 in ${store.path}; list them to see their ids.`);
    });
  });

  describe('remove', () => {
    it('deletes the silence; a second remove is not-found; ids are not reused', () => {
      const first = store.silences.add(input({ reason: 'first' }));
      const second = store.silences.add(input({ reason: 'second' }));
      store.silences.remove(second.id);
      expect(store.silences.list()).toEqual([first]);
      expect(storeError(() => store.silences.remove(second.id)).reason).toBe('not-found');
      expect(store.silences.add(input({ reason: 'third' })).id).toBe(second.id + 1);
    });

    it.each([[0], [-1], [1.5], [Number.NaN]])('refuses %s as an id', (id) => {
      expect(storeError(() => store.silences.remove(id)).reason).toBe('invalid');
    });
  });
});
