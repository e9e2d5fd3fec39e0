import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findElectron } from '../../electron/find-electron';

const made: string[] = [];

/** A fake `electron` package whose path.txt points at `script` (or which lacks path.txt or the binary). */
function fakePackage(binary: string | 'no path.txt' | 'missing binary'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'headroom-electron-'));
  made.push(dir);
  if (binary === 'no path.txt') return dir;
  writeFileSync(path.join(dir, 'path.txt'), 'electron');
  if (binary === 'missing binary') return dir;
  mkdirSync(path.join(dir, 'dist'));
  writeFileSync(path.join(dir, 'dist', 'electron'), binary);
  chmodSync(path.join(dir, 'dist', 'electron'), 0o755);
  return dir;
}

const runs = '#!/bin/sh\necho v45.4.1\n';
const crashes = '#!/bin/sh\necho "error while loading shared libraries: libnss3.so" >&2\nexit 127\n';
const display = { DISPLAY: ':0' };

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('findElectron', () => {
  it.each([
    ['no electron package', null, {}, 1000, /electron package is not installed \(run npm ci\)/],
    ['a package whose download never ran', 'no path.txt', display, 1000, /binary is not installed/],
    ['a binary deleted after install', 'missing binary', display, 1000, /binary is missing at .*dist\/electron/],
    ['no display', runs, {}, 1000, /no display/],
    ['root', runs, display, 0, /will not run as root/],
    ['a binary that cannot start', crashes, display, 1000, /does not run \(error while loading shared libraries/],
  ] as const)('explains %s', (_name, binary, env, uid, reason) => {
    const packageDir = binary === null ? null : fakePackage(binary);
    const probe = findElectron({ packageDir, env, platform: 'linux', uid });
    expect(probe.ok).toBe(false);
    expect(probe.ok ? '' : probe.reason).toMatch(reason);
  });

  it.each([
    ['an X display', { DISPLAY: ':0' }],
    ['a Wayland display', { WAYLAND_DISPLAY: 'wayland-0' }],
  ])('finds a binary that runs, on %s', (_name, env) => {
    const packageDir = fakePackage(runs);
    expect(findElectron({ packageDir, env, platform: 'linux', uid: 1000 })).toEqual({
      ok: true,
      binary: path.join(packageDir, 'dist', 'electron'),
    });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like the electron package does', () => {
    const override = path.join(fakePackage(runs), 'dist');
    const packageDir = fakePackage('missing binary');
    const probe = findElectron({ packageDir, env: { ...display, ELECTRON_OVERRIDE_DIST_PATH: override }, platform: 'linux', uid: 1000 });
    expect(probe).toEqual({ ok: true, binary: path.join(override, 'electron') });
  });

  it('asks for no display on macOS', () => {
    expect(findElectron({ packageDir: fakePackage(runs), env: {}, platform: 'darwin', uid: 501 }).ok).toBe(true);
  });
});
