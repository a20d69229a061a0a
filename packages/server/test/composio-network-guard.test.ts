/**
 * The preload the Composio suites run under: it must really refuse what leaves 127.0.0.1, or
 * their "nothing beyond loopback" findings would mean nothing.
 */
import childProcess from 'node:child_process';
import dns from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { isLoopback, refusedAttempts } from './support/loopback-only.js';

describe('the loopback-only preload', () => {
  it('refuses fetch, sockets (http, https), DNS look-ups and `node -e` children that would leave 127.0.0.1, and records them', async () => {
    await expect(fetch('https://backend.composio.dev/api/v3/toolkits')).rejects.toThrow('fetch failed');
    await expect(
      new Promise((resolve, reject) => https.get('https://203.0.113.7/some/path', resolve).on('error', reject)),
    ).rejects.toThrow('loopback-only: refused socket to 203.0.113.7:443');
    await expect(new Promise((resolve, reject) => dns.lookup('registry.npmjs.org', (error, address) => (error ? reject(error) : resolve(address))))).rejects.toThrow(
      'loopback-only: refused dns to registry.npmjs.org',
    );
    expect(() => childProcess.spawn('node', ['-e', 'require("https").get("https://app.composio.dev")'])).toThrow('loopback-only: refused spawn');
    expect(refusedAttempts()).toEqual([
      { via: 'fetch', target: 'https://backend.composio.dev' },
      { via: 'socket', target: '203.0.113.7:443' },
      { via: 'dns', target: 'registry.npmjs.org' },
      { via: 'spawn', target: expect.stringContaining('node -e') },
    ]);
  });

  it('lets loopback through', async () => {
    const server = createServer((_request, response) => response.end('here'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('here');
    } finally {
      server.close();
    }
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '128.0.0.1', 'example.com', '::ffff:10.0.0.1'].some(isLoopback)).toBe(false);
  });
});
