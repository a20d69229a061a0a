import { randomBytes } from 'node:crypto';
import { KeyRotation } from '@authlink/core';
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.js';

const newKey = () => randomBytes(32).toString('base64');

async function readAll(node: TestServer, ids: string[]): Promise<number> {
  const answers = await Promise.all(ids.map((id) => node.api('GET', `/api/v1/connected-accounts/${id}/credentials`)));
  return answers.filter((a) => a.status !== 200).length;
}

describe('online key rotation', () => {
  it('re-encrypts every secret while two nodes keep serving reads, then the old key can go', async () => {
    const oldKey = newKey();
    const rotatedKey = newKey();
    const before = await startTestServer({ keys: { current: oldKey }, logLevel: 'warn' });
    const nodes: TestServer[] = [before];
    try {
      const integration = await before.api('POST', '/api/v1/integrations', { app: 'github', authConfig: { clientId: 'c', clientSecret: 'client-secret' } });
      expect(integration.status).toBe(201);
      const ids: string[] = [];
      for (let i = 0; i < 60; i += 1) {
        const started = await before.api('POST', '/api/v1/connected-accounts', { app: 'openai', entityId: `u${i}`, data: { apiKey: `sk-rotate-${i}` }, validate: false });
        ids.push(started.body.connectedAccountId);
      }
      // Part of the fields from the initiator, the rest from the user's form: the part is sealed meanwhile.
      const pending = await before.api('POST', '/api/v1/connected-accounts', { app: 'algolia', data: { applicationId: 'ROTATEAPP1' } });
      expect(pending.body.connectionStatus).toBe('INITIATED');

      // Rolling restart: both nodes now write with the new key and still read the old one.
      const nodeA = await startTestServer({ sameDatabaseAs: before, keys: { current: rotatedKey, previous: [oldKey] }, logLevel: 'warn' });
      const nodeB = await startTestServer({ sameDatabaseAs: before, keys: { current: rotatedKey, previous: [oldKey] }, logLevel: 'warn' });
      nodes.push(nodeA, nodeB);
      const rotation = new KeyRotation(nodeA.runtime.db, nodeA.runtime.vault);
      const oldKeyId = Object.keys((await rotation.status()).ciphertextsByKey).find((id) => id !== nodeA.runtime.vault.currentKeyId);
      expect(oldKeyId).toBeDefined();

      let failedReads = 0;
      let reads = 0;
      let rotating = true;
      const load = (async () => {
        while (rotating) {
          const batch = ids.slice(0, 30);
          failedReads += (await readAll(nodeA, batch)) + (await readAll(nodeB, batch));
          reads += 2 * batch.length;
        }
      })();
      const { rewritten } = await rotation.rotate({ batchSize: 2 });
      rotating = false;
      await load;
      console.log(`key rotation: ${rewritten} secrets re-encrypted, ${reads} reads during rotation, ${failedReads} failed`);
      expect(failedReads).toBe(0);
      expect(reads).toBeGreaterThan(0);
      expect(rewritten).toBe(62); // 60 keys, 1 client secret, 1 pending initiation

      const status = await rotation.status();
      expect(status.ciphertextsByKey).toEqual({ [nodeA.runtime.vault.currentKeyId]: 62 });

      // A node that no longer knows the old key reads everything.
      const onlyNew = await startTestServer({ sameDatabaseAs: before, keys: { current: rotatedKey }, logLevel: 'warn' });
      nodes.push(onlyNew);
      expect(await readAll(onlyNew, ids)).toBe(0);
      const one = await onlyNew.api('GET', `/api/v1/connected-accounts/${ids[7]}/credentials`);
      expect(one.body.credentials).toEqual({ apiKey: 'sk-rotate-7' });
      // The hosted form decrypts what the initiator supplied: the re-encrypted initiation data.
      const link = new URL(pending.body.redirectUrl);
      const form = await fetch(`${onlyNew.url}${link.pathname}`);
      expect(form.status).toBe(200);
      const page = await form.text();
      expect(page).toContain('Connect Algolia');
      // It could read what was supplied: it asks only for the field still missing.
      expect(page).toContain('name="apiKey"');
      expect(page).not.toContain('name="applicationId"');
    } finally {
      for (const node of nodes.reverse()) await node.close();
    }
  });
});
