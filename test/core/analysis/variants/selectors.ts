/**
 * Finds every vector selector in a PromQL expression, so a test can prove that a global matcher
 * (`cluster="eu"`) reached all of them. A small lexer rather than a regex: label_replace's regex
 * arguments contain braces (`[a-z]{5}`), grouping clauses contain bare label names, and range
 * brackets contain durations — none of which are selectors.
 */
export interface FoundSelector {
  /** Metric name, or '' for a `{…}` selector without one. */
  metric: string;
  /** Matchers as written, e.g. `cluster="eu"`. */
  matchers: string[];
}

type Token = { kind: 'string' | 'ident' | 'number' | 'punct'; text: string };

function lex(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < query.length && query[j] !== c) j += query[j] === '\\' && c !== '`' ? 2 : 1;
      tokens.push({ kind: 'string', text: query.slice(i, j + 1) });
      i = j + 1;
    } else if (/[A-Za-z_:]/.test(c)) {
      const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(query.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else if (/[0-9.]/.test(c)) {
      // Numbers and durations (0.99, 5m, 1d12h).
      const m = /^[0-9.][0-9.a-zA-Z]*/.exec(query.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else {
      const two = query.slice(i, i + 2);
      const op = ['=~', '!~', '!=', '==', '>=', '<='].includes(two) ? two : c;
      tokens.push({ kind: 'punct', text: op });
      i += op.length;
    }
  }
  return tokens;
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);

/** Index just after the bracket that closes the one at `open`. */
function skipBalanced(tokens: readonly Token[], open: number, left: string, right: string): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'punct') continue;
    if (t.text === left) depth++;
    if (t.text === right && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced ${left}${right}`);
}

export function selectorsOf(query: string): FoundSelector[] {
  const tokens = lex(query);
  const found: FoundSelector[] = [];
  const readMatchers = (open: number): { matchers: string[]; next: number } => {
    const close = skipBalanced(tokens, open, '{', '}');
    const inner = tokens.slice(open + 1, close - 1);
    const matchers: string[] = [];
    for (let k = 0; k + 2 < inner.length; k += 4) matchers.push(`${inner[k]?.text}${inner[k + 1]?.text}${inner[k + 2]?.text}`);
    return { matchers, next: close };
  };
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    const next = tokens[i + 1];
    if (t.kind === 'ident' && GROUPING.has(t.text) && next?.text === '(') {
      i = skipBalanced(tokens, i + 1, '(', ')');
    } else if (t.kind === 'punct' && t.text === '[') {
      i = skipBalanced(tokens, i, '[', ']');
    } else if (t.kind === 'ident' && (next?.text === '(' || (next?.kind === 'ident' && GROUPING.has(next.text)))) {
      i++; // a function, or an aggregation (`sum (…)`, `sum by (…) (…)`)
    } else if (t.kind === 'ident' && KEYWORDS.has(t.text)) {
      i++;
    } else if (t.kind === 'ident') {
      if (next?.text === '{') {
        const { matchers, next: after } = readMatchers(i + 1);
        found.push({ metric: t.text, matchers });
        i = after;
      } else {
        found.push({ metric: t.text, matchers: [] });
        i++;
      }
    } else if (t.kind === 'punct' && t.text === '{') {
      const { matchers, next: after } = readMatchers(i);
      found.push({ metric: '', matchers });
      i = after;
    } else {
      i++;
    }
  }
  return found;
}
