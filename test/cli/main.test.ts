import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string };

/** Runs the CLI as `npm run cli` does (tsx), without npm's own start-up. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

describe('headroom CLI', () => {
  it.each([[['--help']], [[]]])('%j prints the help', (args) => {
    const run = cli(...args);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: headroom \[options\]/);
    expect(run.stdout).toContain('No commands yet');
  });

  it('prints the version from package.json', () => {
    expect(cli('--version').stdout.trim()).toBe(version);
  });

  it('refuses arguments it does not understand', () => {
    const run = cli('analyze');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('too many arguments');
  });
});
