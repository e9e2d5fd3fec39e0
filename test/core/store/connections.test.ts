import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionInput } from '../../../core/store/connections';
import { openStore, type HeadroomStore } from '../../../core/store/open';
import { createPlaintextSecretBox, type SecretBox } from '../../../core/store/secrets';
import { createTestKeychain, manualClock, rejectedStoreError, storeBytes, useTemporaryFolder } from './helpers';

const T0 = 1_700_000_000;

const TOKEN = 'tok-4f1c9e7a-SECRET-bearer';
const PASSWORD = 'pw-8d2b6c-SECRET-basic';
const HEADER_VALUE = 'key-77aa01-SECRET-header';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIIE-SECRET-client-key\n-----END PRIVATE KEY-----';
const SECRETS = [TOKEN, PASSWORD, HEADER_VALUE, KEY_PEM];

const prod: ConnectionInput = {
  name: 'Prod EU',
  prometheus: {
    url: 'https://mimir.example/prometheus',
    headers: { 'X-Scope-OrgID': HEADER_VALUE },
    auth: { type: 'bearer', token: TOKEN },
    tls: { caFile: '/etc/ssl/mimir-ca.pem', certPem: 'CERT', keyPem: KEY_PEM, serverName: 'mimir.internal' },
    timeoutMs: 20_000,
  },
  kube: { kubeconfigPath: '/home/ana/.kube/config', context: 'prod-eu' },
};

const staging: ConnectionInput = {
  name: 'staging',
  prometheus: { url: 'http://prometheus.staging:9090', auth: { type: 'basic', username: 'ana', password: PASSWORD } },
  kube: null,
};

describe('connections', () => {
  const folder = useTemporaryFolder();
  let clock: ReturnType<typeof manualClock>;
  let file: string;
  let keychain: SecretBox;
  let store: HeadroomStore;

  beforeEach(() => {
    clock = manualClock(T0);
    file = join(folder.path, 'headroom.db');
    keychain = createTestKeychain();
    store = openStore(file, { clock: clock.clock, secretBox: keychain });
  });
  afterEach(() => {
    store.close();
  });

  it('saves a connection and lists it with every secret left out', async () => {
    const saved = await store.connections.save(prod);
    expect(saved).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Prod EU',
      prometheus: {
        url: 'https://mimir.example/prometheus',
        headerNames: ['X-Scope-OrgID'],
        auth: { type: 'bearer' },
        tls: { caFile: '/etc/ssl/mimir-ca.pem', certPem: 'CERT', serverName: 'mimir.internal' },
        timeoutMs: 20_000,
      },
      kube: { kubeconfigPath: '/home/ana/.kube/config', context: 'prod-eu' },
      hasSecret: true,
      secretStorage: 'os-keychain',
      createdAt: T0,
      updatedAt: T0,
    });
    await store.connections.save(staging);

    const listed = store.connections.list();
    expect(listed.map((connection) => connection.name)).toEqual(['Prod EU', 'staging']);
    expect(listed[0]).toEqual(saved);
    expect(listed[1]?.prometheus.auth).toEqual({ type: 'basic', username: 'ana' });
    expect(await store.connections.get(saved.id)).toEqual(saved);
    const shown = JSON.stringify([listed, await store.connections.get(saved.id)]);
    for (const secret of SECRETS) expect(shown).not.toContain(secret);
  });

  it('opens the secrets only when asked to', async () => {
    const saved = await store.connections.save(prod);
    const withSecrets = await store.connections.get(saved.id, { withSecrets: true });
    expect(withSecrets).toEqual({
      id: saved.id,
      name: 'Prod EU',
      prometheus: prod.prometheus,
      kube: prod.kube,
      createdAt: T0,
      updatedAt: T0,
    });
    const basic = await store.connections.save(staging);
    expect((await store.connections.get(basic.id, { withSecrets: true })).prometheus).toEqual(staging.prometheus);
  });

  it('a connection without credentials has no secret and needs no SecretBox', async () => {
    store.close();
    store = openStore(file, { clock: clock.clock });
    const plain = await store.connections.save({ name: 'local', prometheus: { url: 'http://localhost:9090' }, kube: {} });
    expect(plain).toMatchObject({ hasSecret: false, secretStorage: null, kube: {} });
    expect(await store.connections.get(plain.id, { withSecrets: true })).toMatchObject({
      prometheus: { url: 'http://localhost:9090' },
    });
  });

  describe('secrets in the file', () => {
    it('never appear in the database bytes with an OS-keychain box, while open or after closing', async () => {
      const saved = await store.connections.save(prod);
      await store.connections.save(staging);
      // Replacing the connection leaves the old row in free pages: it must have been sealed too.
      await store.connections.save({ ...prod, id: saved.id, name: 'Prod EU (renamed)' });

      const whileOpen = storeBytes(file);
      store.close();
      const afterClose = storeBytes(file);
      for (const bytes of [whileOpen, afterClose]) {
        // The search works: what is not secret is there in the clear.
        expect(bytes.includes('Prod EU (renamed)')).toBe(true);
        expect(bytes.includes('mimir.example')).toBe(true);
        for (const secret of SECRETS) expect(bytes.includes(secret), secret).toBe(false);
      }
      store = openStore(file, { clock: clock.clock, secretBox: keychain });
      expect((await store.connections.get(saved.id, { withSecrets: true })).prometheus).toEqual(prod.prometheus);
    });

    it('are in the file with the plaintext box, as that box says', async () => {
      store.close();
      store = openStore(file, { clock: clock.clock, secretBox: createPlaintextSecretBox() });
      const saved = await store.connections.save(staging);
      expect(saved.secretStorage).toBe('plaintext');
      expect(storeBytes(file).includes(PASSWORD)).toBe(true);
      expect(store.connections.list()[0]?.hasSecret).toBe(true);
    });

    it('cannot be saved without a SecretBox, so they are never written unsealed', async () => {
      store.close();
      store = openStore(file, { clock: clock.clock });
      const error = await rejectedStoreError(store.connections.save(staging));
      expect(error.reason).toBe('secret-unavailable');
      expect(error.message).toBe(
        'Cannot save connection "staging": it has credentials and this Headroom was given no SecretBox to seal them.',
      );
      expect(store.connections.list()).toEqual([]);
      expect(storeBytes(file).includes(PASSWORD)).toBe(false);
    });

    it('sealed by the keychain cannot be opened by a plaintext box, but the connection still lists', async () => {
      const saved = await store.connections.save(prod);
      store.close();
      store = openStore(file, { clock: clock.clock, secretBox: createPlaintextSecretBox() });
      expect(store.connections.list().map((connection) => connection.name)).toEqual(['Prod EU']);
      const error = await rejectedStoreError(store.connections.get(saved.id, { withSecrets: true }));
      expect(error.reason).toBe('secret-unavailable');
      expect(error.message).toBe(
        'The credentials of connection "Prod EU" were sealed with the OS keychain and this Headroom uses plaintext; enter them again here.',
      );
    });

    it('that the keychain refuses to open give a secret-unavailable error', async () => {
      const saved = await store.connections.save(prod);
      store.close();
      // Another machine's keychain: same kind, different key.
      store = openStore(file, { clock: clock.clock, secretBox: createTestKeychain() });
      const error = await rejectedStoreError(store.connections.get(saved.id, { withSecrets: true }));
      expect(error.reason).toBe('secret-unavailable');
      expect(error.message).toMatch(/^The credentials of connection "Prod EU" cannot be opened \(.+\); enter them again\.$/);
    });
  });

  describe('names', () => {
    const clashes: Array<[string, string]> = [
      ['the same name', 'Prod EU'],
      ['another case', 'prod eu'],
      ['surrounding blanks', '  PROD EU '],
    ];

    it.each(clashes)('a second connection with %s is refused', async (_name, name) => {
      await store.connections.save(prod);
      const error = await rejectedStoreError(store.connections.save({ ...staging, name }));
      expect(error.reason).toBe('duplicate-name');
      expect(error.message).toBe(`A connection named "Prod EU" already exists; pick another name for "${name.trim()}".`);
      expect(store.connections.list()).toHaveLength(1);
    });

    it('compares non-ASCII names without case, and in either Unicode normal form', async () => {
      await store.connections.save({ ...staging, name: 'Größe-Ärger' });
      const upper = await rejectedStoreError(store.connections.save({ ...staging, name: 'GRÖSSE-ÄRGER'.replace('SS', 'ß') }));
      expect(upper.reason).toBe('duplicate-name');
      const decomposed = await rejectedStoreError(store.connections.save({ ...staging, name: 'größe-ärger'.normalize('NFD') }));
      expect(decomposed.reason).toBe('duplicate-name');
    });

    it('renaming onto another connection is refused; saving a connection under its own name is not', async () => {
      const first = await store.connections.save(prod);
      const second = await store.connections.save(staging);
      const error = await rejectedStoreError(store.connections.save({ ...staging, id: second.id, name: 'PROD eu' }));
      expect(error.reason).toBe('duplicate-name');

      clock.now = T0 + 60;
      const updated = await store.connections.save({ ...prod, id: first.id, name: 'prod eu' });
      expect(updated).toMatchObject({ id: first.id, name: 'prod eu', createdAt: T0, updatedAt: T0 + 60 });
    });
  });

  describe('save', () => {
    it('replaces a connection by id, secrets included', async () => {
      const saved = await store.connections.save(prod);
      await store.connections.save({ ...prod, id: saved.id, prometheus: { url: 'https://mimir.example/prometheus' } });
      const replaced = await store.connections.get(saved.id, { withSecrets: true });
      expect(replaced.prometheus).toEqual({ url: 'https://mimir.example/prometheus' });
      expect((await store.connections.get(saved.id)).hasSecret).toBe(false);
    });

    it('refuses to update an unknown id', async () => {
      const error = await rejectedStoreError(store.connections.save({ ...staging, id: 'nope' }));
      expect(error.reason).toBe('not-found');
      expect(store.connections.list()).toEqual([]);
    });

    const invalid: Array<[string, Partial<ConnectionInput['prometheus']> | null, Partial<ConnectionInput>, RegExp]> = [
      ['a non-HTTP URL', { url: 'ftp://prom:9090' }, {}, /prometheus\.url: use an http:\/\/ or https:\/\/ URL/],
      ['credentials in the URL', { url: 'https://ana:hunter2@prom:9090' }, {}, /prometheus\.url: put credentials in auth/],
      ['a query string in the URL', { url: 'https://prom:9090/?x=1' }, {}, /query string or fragment/],
      ['a header value with a line break', { headers: { 'X-A': 'a\r\nInjected: 1' } }, {}, /prometheus\.headers\.X-A/],
      ['a header name with a space', { headers: { 'X A': 'a' } }, {}, /not a valid header name/],
      ['an empty bearer token', { auth: { type: 'bearer', token: '' } }, {}, /the bearer token is empty/],
      ['an unknown auth type', { auth: { type: 'digest' } as never }, {}, /prometheus\.auth/],
      ['a client certificate without its key', { tls: { certPem: 'CERT' } }, {}, /a client certificate needs its key/],
      ['a timeout below 100 ms', { timeoutMs: 5 }, {}, /prometheus\.timeoutMs/],
      ['an empty name', null, { name: '  ' }, /name: give the connection a name/],
      ['an unknown field', null, { colour: 'red' } as never, /Unrecognized key/],
    ];

    it.each(invalid)('refuses %s', async (_name, prometheus, overrides, message) => {
      const input = { ...staging, ...overrides, prometheus: { ...staging.prometheus, ...prometheus } } as ConnectionInput;
      const error = await rejectedStoreError(store.connections.save(input));
      expect(error.reason).toBe('invalid');
      expect(error.message).toMatch(/^Cannot save the connection: /);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(PASSWORD);
      expect(store.connections.list()).toEqual([]);
    });
  });

  describe('remove', () => {
    it('deletes the connection; its snapshots stay without it', async () => {
      const saved = await store.connections.save(prod);
      const snapshot = await store.snapshots.save({
        name: 'incident',
        connectionId: saved.id,
        window: { start: T0 - 3600, end: T0 },
        report: {},
        queries: [],
      });
      store.connections.remove(saved.id);
      expect(store.connections.list()).toEqual([]);
      expect((await store.snapshots.get(snapshot)).connectionId).toBeNull();
      expect((await rejectedStoreError(store.connections.get(saved.id))).reason).toBe('not-found');
    });

    it('names an unknown connection', () => {
      expect(() => store.connections.remove('nope')).toThrow(`There is no connection nope in ${file}; it may have been removed.`);
    });
  });
});
