/**
 * Progress of long work on stderr, never stdout (which holds only the result). On a terminal: one line that
 * updates in place, with a bar over the steps the command expects and the time so far. Elsewhere (CI logs,
 * pipes): one plain line per step, with the time it started at.
 */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width, when known. */
  readonly columns?: number;
}

export interface Progress {
  step(text: string): void;
  /** Clears the updating line (terminal) so that what follows starts on a clean line. */
  done(): void;
}

const BAR_WIDTH = 20;
const TICK_MS = 250;

export function createProgress(sink: ProgressSink, options: { expectedSteps: number; quiet: boolean; now?: () => number }): Progress {
  if (options.quiet) return { step: () => undefined, done: () => undefined };
  const now = options.now ?? ((): number => Date.now());
  const started = now();
  const elapsed = (): string => `${((now() - started) / 1000).toFixed(0)} s`;
  if (!sink.isTTY) {
    return {
      step: (text) => sink.write(`headroom: ${text} (${elapsed()})\n`),
      done: () => undefined,
    };
  }
  let steps = 0;
  let current = '';
  let timer: NodeJS.Timeout | null = null;
  const render = (): void => sink.write(`\r\x1b[K${progressLine(steps, options.expectedSteps, current, elapsed(), sink.columns || 80)}`);
  return {
    step: (text) => {
      steps += 1;
      current = text;
      render();
      if (timer === null) {
        timer = setInterval(render, TICK_MS);
        timer.unref();
      }
    },
    done: () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (steps > 0) sink.write('\r\x1b[K');
    },
  };
}

/** `[#######.............] 3/7 measuring CPU… 14 s`, cut to the terminal's width. */
export function progressLine(step: number, expected: number, text: string, elapsed: string, columns: number): string {
  const total = Math.max(expected, step);
  // The bar shows the steps finished; the current one is under way.
  const filled = Math.round((BAR_WIDTH * Math.max(0, step - 1)) / Math.max(1, total));
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const head = `${bar} ${step}/${total} `;
  const tail = ` ${elapsed}`;
  const room = Math.max(10, columns - 1 - head.length - tail.length);
  const label = text.length > room ? `${text.slice(0, room - 1).trimEnd()}…` : text;
  return `${head}${label}${tail}`;
}
