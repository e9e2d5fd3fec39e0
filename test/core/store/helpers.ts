import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { StoreError } from '../../../core/store/errors';
import type { SecretBox } from '../../../core/store/secrets';

/** A fresh folder per test, removed afterwards; call at the top of a describe block. */
export function useTemporaryFolder(): { readonly path: string } {
  const folder = { path: '' };
  beforeEach(() => {
    folder.path = mkdtempSync(join(tmpdir(), 'headroom-store-'));
  });
  afterEach(() => {
    rmSync(folder.path, { recursive: true, force: true });
  });
  return folder;
}

/** A clock the test moves by hand, in unix seconds. */
export function manualClock(start = 1_700_000_000): { now: number; clock: () => number } {
  const state = {
    now: start,
    clock: (): number => state.now,
  };
  return state;
}

/**
 * Stands in for Electron's safeStorage: AES-256-GCM under a key that lives only in this process, so sealed
 * text shares no bytes with the plain text.
 */
export function createTestKeychain(): SecretBox {
  const key = randomBytes(32);
  return {
    kind: 'os-keychain',
    seal: async (plain) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open: async (sealed) => {
      const raw = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

/** Every byte SQLite keeps for the store: the file plus its write-ahead log, where fresh writes sit. */
export function storeBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path)));
}

export function storeError(action: () => unknown): StoreError {
  try {
    action();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw new Error(`expected a StoreError, got ${String(error)}`);
  }
  throw new Error('expected a StoreError, nothing was thrown');
}

export async function rejectedStoreError(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw new Error(`expected a StoreError, got ${String(error)}`);
  }
  throw new Error('expected a StoreError, the promise resolved');
}
