import { describe, expect, it } from 'vitest';
import {
  labelSelectorProblems,
  matchesLabelSelector,
  type LabelSelector,
  type Labels,
} from '../../../core/kubernetes/selectors';

const checkout: Labels = { 'app.kubernetes.io/name': 'checkout', tier: 'web', track: 'stable' };

describe('matchesLabelSelector', () => {
  const cases: Array<[string, LabelSelector | null | undefined, Labels | null | undefined, boolean]> = [
    ['a missing selector selects nothing', undefined, checkout, false],
    ['a null selector selects nothing', null, checkout, false],
    ['an empty selector selects everything', {}, checkout, true],
    ['an empty selector selects pods without labels', {}, {}, true],
    ['empty matchLabels and matchExpressions select everything', { matchLabels: {}, matchExpressions: [] }, checkout, true],

    ['matchLabels: equal', { matchLabels: { 'app.kubernetes.io/name': 'checkout' } }, checkout, true],
    ['matchLabels: all of several', { matchLabels: { 'app.kubernetes.io/name': 'checkout', tier: 'web' } }, checkout, true],
    ['matchLabels: one of several differs', { matchLabels: { 'app.kubernetes.io/name': 'checkout', tier: 'db' } }, checkout, false],
    ['matchLabels: a near miss is a miss', { matchLabels: { 'app.kubernetes.io/name': 'checkout-v2' } }, checkout, false],
    ['matchLabels: a prefix is a miss', { matchLabels: { 'app.kubernetes.io/name': 'check' } }, checkout, false],
    ['matchLabels: label missing', { matchLabels: { team: 'payments' } }, checkout, false],
    ['matchLabels: keys are case-sensitive', { matchLabels: { Tier: 'web' } }, checkout, false],
    ['matchLabels: empty value matches an empty label', { matchLabels: { canary: '' } }, { canary: '' }, true],
    ['matchLabels: empty value needs the label', { matchLabels: { canary: '' } }, {}, false],
    ['matchLabels against no labels', { matchLabels: { tier: 'web' } }, undefined, false],
    ['matchLabels: an inherited property is not a label', { matchLabels: { constructor: 'x' } }, {}, false],

    ['In: value listed', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, checkout, true],
    ['In: value not listed', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, checkout, false],
    ['In: label missing', { matchExpressions: [{ key: 'team', operator: 'In', values: ['x'] }] }, checkout, false],
    ['In: empty label value listed', { matchExpressions: [{ key: 'c', operator: 'In', values: [''] }] }, { c: '' }, true],
    ['In: missing label is not the empty value', { matchExpressions: [{ key: 'c', operator: 'In', values: [''] }] }, {}, false],
    ['NotIn: value not listed', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }] }, checkout, true],
    ['NotIn: value listed', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch', 'web'] }] }, checkout, false],
    ['NotIn: label missing matches', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] }, checkout, true],
    ['Exists: present', { matchExpressions: [{ key: 'track', operator: 'Exists' }] }, checkout, true],
    ['Exists: present with empty value', { matchExpressions: [{ key: 'c', operator: 'Exists' }] }, { c: '' }, true],
    ['Exists: missing', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, checkout, false],
    ['Exists: empty values list is fine', { matchExpressions: [{ key: 'track', operator: 'Exists', values: [] }] }, checkout, true],
    ['DoesNotExist: missing', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, checkout, true],
    ['DoesNotExist: present', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, checkout, false],

    [
      'matchLabels AND matchExpressions: both hold',
      {
        matchLabels: { 'app.kubernetes.io/name': 'checkout' },
        matchExpressions: [
          { key: 'track', operator: 'In', values: ['stable', 'canary'] },
          { key: 'team', operator: 'DoesNotExist' },
        ],
      },
      checkout,
      true,
    ],
    [
      'matchLabels AND matchExpressions: matchLabels fails',
      { matchLabels: { 'app.kubernetes.io/name': 'cart' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      checkout,
      false,
    ],
    [
      'matchLabels AND matchExpressions: one expression fails',
      {
        matchLabels: { 'app.kubernetes.io/name': 'checkout' },
        matchExpressions: [
          { key: 'tier', operator: 'Exists' },
          { key: 'track', operator: 'NotIn', values: ['stable'] },
        ],
      },
      checkout,
      false,
    ],

    // Invalid selectors select nothing, as the API server would not have accepted them.
    ['invalid: In without values', { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] }, checkout, false],
    ['invalid: NotIn without values', { matchExpressions: [{ key: 'team', operator: 'NotIn' }] }, checkout, false],
    ['invalid: Exists with values', { matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['web'] }] }, checkout, false],
    ['invalid: DoesNotExist with values', { matchExpressions: [{ key: 'x', operator: 'DoesNotExist', values: ['a'] }] }, checkout, false],
    ['invalid: unknown operator', { matchExpressions: [{ key: 'tier', operator: 'Equals', values: ['web'] }] }, checkout, false],
    ['invalid: operators are case-sensitive', { matchExpressions: [{ key: 'tier', operator: 'in', values: ['web'] }] }, checkout, false],
  ];

  it.each(cases)('%s', (_name, selector, labels, expected) => {
    expect(matchesLabelSelector(selector, labels)).toBe(expected);
  });
});

describe('labelSelectorProblems', () => {
  it('is empty for a valid selector', () => {
    expect(
      labelSelectorProblems({
        matchLabels: { a: 'b' },
        matchExpressions: [
          { key: 'a', operator: 'In', values: ['b'] },
          { key: 'c', operator: 'NotIn', values: ['d'] },
          { key: 'e', operator: 'Exists' },
          { key: 'f', operator: 'DoesNotExist' },
        ],
      }),
    ).toEqual([]);
  });

  it('names every invalid requirement', () => {
    expect(
      labelSelectorProblems({
        matchExpressions: [
          { key: 'tier', operator: 'In', values: [] },
          { key: 'track', operator: 'Exists', values: ['stable'] },
          { key: 'team', operator: 'Matches', values: ['pay.*'] },
        ],
      }),
    ).toEqual([
      '"tier In" needs at least one value',
      '"track Exists" must not list values',
      'unknown operator "Matches" on "team" (In, NotIn, Exists or DoesNotExist)',
    ]);
  });
});
