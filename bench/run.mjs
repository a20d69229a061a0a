#!/usr/bin/env node
// `npm run bench`: authlink against bare baselines, in one run, round by round.
// See bench/README.md for what each figure means and how to read the table.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure } from './lib/load.mjs';
import { BusyMeter, machineInfo } from './lib/machine.mjs';
import { Child, freePort, runNode } from './lib/processes.mjs';
import { summariseProfile } from './lib/profile.mjs';
import { fmt, goalMet, markdownTable, spread, tableRows, textTable } from './lib/report.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const CLI = join(ROOT, 'packages/server/dist/cli.js');
const CORE = join(ROOT, 'packages/core/dist/index.js');
const MB = 1024 * 1024;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    accounts: { type: 'string' },
    only: { type: 'string' },
    'noise-threshold': { type: 'string', default: '0.25' },
    'quiet-wait': { type: 'string' },
    'extra-rounds': { type: 'string' },
    profile: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  process.stdout.write(`usage: npm run bench -- [options]
  --quick              smoke run: 3 short rounds, 10,000 accounts, writes results/quick-latest.*
  --rounds N           rounds (default 5; quick 3; at least 3 for a result worth keeping)
  --seconds S          length of each measurement (default 5; quick 1.5)
  --warmup S           unrecorded warm-up per target before round 1: until two 2 s windows agree
                       within 5 %, at most S seconds (default 30; quick 0.5, one window)
  --connections N      concurrent connections of the throughput measurements (default 10)
  --accounts N         accounts in the large database of the scale figure (default 1000000; quick 10000)
  --only GROUPS        comma-separated subset of: api, proxy, latency, scale
  --noise-threshold C  a round is noisy when other processes used more than C cores (default 0.25)
  --quiet-wait S       before each round, wait up to S seconds for the machine to be quiet (default 90; quick 0)
  --extra-rounds N     add up to N rounds while fewer than 3 were quiet (default 3; quick 0)
  --profile            run the main authlink server with --cpu-prof; prints its hottest functions
  --build              rebuild packages first (done anyway when packages/server/dist is missing)
  --keep               keep the temporary data directories
  --out NAME           write results/NAME.json and .md (default latest, or quick-latest)
`);
  process.exit(0);
}

const quick = flags.quick;
const settings = {
  mode: quick ? 'quick' : 'full',
  rounds: Number(flags.rounds ?? (quick ? 3 : 5)),
  seconds: Number(flags.seconds ?? (quick ? 1.5 : 5)),
  warmupSeconds: Number(flags.warmup ?? (quick ? 0.5 : 30)),
  connections: Number(flags.connections ?? 10),
  smallAccounts: 1000,
  largeAccounts: Number(flags.accounts ?? (quick ? 10_000 : 1_000_000)),
  idSample: 100_000,
  noiseThresholdCores: Number(flags['noise-threshold']),
  // Before each round, wait up to this long for other processes to calm down.
  quietWaitSeconds: Number(flags['quiet-wait'] ?? (quick ? 0 : 90)),
  // Rounds added (at most this many) while fewer than 3 rounds were quiet.
  extraRounds: Number(flags['extra-rounds'] ?? (quick ? 0 : 3)),
  groups: (flags.only ?? 'api,proxy,latency,scale').split(',').map((g) => g.trim()),
};
const outName = flags.out ?? (quick ? 'quick-latest' : 'latest');

const log = (line) => process.stdout.write(`${line}\n`);
const children = [];

function ensureBuilt() {
  if (!flags.build && existsSync(CLI) && existsSync(CORE)) return;
  log('building packages (npx tsc -b packages/core packages/sdk packages/server) …');
  execFileSync('npx', ['tsc', '-b', 'packages/core', 'packages/sdk', 'packages/server'], { cwd: ROOT, stdio: 'inherit' });
}

function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, packagesDirty: dirty };
  } catch {
    return { commit: 'unknown', packagesDirty: undefined };
  }
}

// ---------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------

const tmpRoot = mkdtempSync(join(tmpdir(), 'authlink-bench-'));
const encryptionKey = randomBytes(32).toString('base64');
const apiKey = `alk_${randomBytes(24).toString('base64url')}`;
const profileDir = join(BENCH, 'results', 'profiles', new Date().toISOString().replaceAll(':', '-'));

function authlinkEnv(dataDir, port) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUTHLINK_')));
  return {
    ...env,
    AUTHLINK_DATA_DIR: dataDir,
    AUTHLINK_API_KEY: apiKey,
    AUTHLINK_ENCRYPTION_KEY: encryptionKey,
    AUTHLINK_LOG_LEVEL: 'warn',
    AUTHLINK_HOST: '127.0.0.1',
    AUTHLINK_PORT: String(port),
  };
}

async function startAuthlink(name, dataDir, { profile = false } = {}) {
  const port = await freePort();
  const nodeFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const child = new Child(`authlink (${name})`, [...nodeFlags, CLI, 'serve'], { cwd: ROOT, env: authlinkEnv(dataDir, port) }).start();
  children.push(child);
  const origin = `http://127.0.0.1:${port}`;
  await child.waitForHttp(`${origin}/healthz`);
  return { name, child, origin, dataDir };
}

async function startScript(name, script, args) {
  const child = new Child(name, [join(BENCH, script), ...args], { cwd: ROOT }).start();
  children.push(child);
  await child.waitForLine(/^ready (\d+)$/m);
  const port = Number(/^ready (\d+)$/m.exec(child.output)[1]);
  return { name, child, origin: `http://127.0.0.1:${port}` };
}

async function api(server, method, path, body) {
  const response = await globalThis.fetch(`${server.origin}/api/v1${path}`, {
    method,
    headers: { 'x-api-key': apiKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status < 200 || response.status > 299) throw new Error(`${method} ${path} on ${server.name} answered ${response.status}: ${text}`);
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
}

/** The API-key integration whose base URL is the local upstream, and one ACTIVE account of it. */
async function createApiAccount(server, upstreamOrigin) {
  const integration = await api(server, 'POST', '/integrations', { app: 'bench-api', authScheme: 'API_KEY', authConfig: { baseUrl: upstreamOrigin } });
  const account = await api(server, 'POST', '/connected-accounts', { integrationId: integration.json.id, data: { apiKey: 'k' } });
  if (account.json.connectionStatus !== 'ACTIVE') throw new Error(`the API-key account is ${account.json.connectionStatus}, not ACTIVE`);
  return account.json.connectedAccountId;
}

/** A database with `count` accounts: one through the API, the rest filled in while the server is stopped. */
async function prepareScaleServer(name, count, upstreamOrigin) {
  const dataDir = join(tmpRoot, name);
  const first = await startAuthlink(`${name}-setup`, dataDir);
  const templateId = await createApiAccount(first, upstreamOrigin);
  await first.child.stop();
  const idsFile = join(tmpRoot, `${name}-ids.json`);
  const started = Date.now();
  const filled = JSON.parse(
    await runNode(
      [join(BENCH, 'fill.mjs'), '--db', join(dataDir, 'authlink.db'), '--key', encryptionKey, '--template', templateId, '--count', String(count), '--sample', String(settings.idSample), '--ids-out', idsFile],
      { cwd: ROOT, echoStderr: count > 100_000 },
    ),
  );
  log(`  ${name}: ${filled.accounts.toLocaleString('en-US')} accounts (filled in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const server = await startAuthlink(name, dataDir);
  const ids = JSON.parse(readFileSync(idsFile, 'utf8'));
  // Every sampled account must read back: a filler row that does not decrypt would be a broken bench.
  for (const id of [ids[0], ids[ids.length - 1], ids[Math.floor(ids.length / 2)]]) {
    const read = await api(server, 'GET', `/connected-accounts/${id}/credentials`);
    if (read.json.credentials?.apiKey !== 'k') throw new Error(`${name}: account ${id} does not read back`);
  }
  await sleep(1000);
  return { ...server, accounts: filled.accounts, ids, idleRss: server.child.rss() };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const MEASUREMENTS = {
  api: { connections: () => settings.connections, members: ['bare', 'credentials', 'initiate'] },
  proxy: { connections: () => settings.connections, members: ['direct', 'passthrough', 'proxy'] },
  latency: { connections: () => 1, members: ['direct@1', 'passthrough@1', 'proxy@1'] },
  scale: { connections: () => settings.connections, members: ['scale-small', 'scale-large'] },
};

/**
 * Runs a target until its throughput stops climbing: a server that has just started runs much of
 * its code unoptimised (the proxy path took ~20 s at 10 connections to settle on the VM of
 * results/latest.md), and a ratio taken then would measure the JIT, not the server. Steady: two
 * consecutive windows within 5 % of each other. A window shorter than 2 s (the quick run) is one
 * window and no test.
 */
async function warmUp(target, connections, check) {
  if (!(settings.warmupSeconds > 0)) return { seconds: 0, steady: undefined };
  const window = Math.min(2, settings.warmupSeconds);
  let seconds = 0;
  let previous;
  while (seconds + window <= settings.warmupSeconds) {
    const result = await measure(target, { seconds: window, connections });
    check(result);
    seconds += window;
    if (window < 2) return { seconds, steady: undefined };
    if (previous !== undefined && Math.abs(result.rps - previous) <= 0.05 * previous) return { seconds, steady: true };
    previous = result.rps;
  }
  return { seconds, steady: false };
}

async function main() {
  const startedAt = new Date();
  const since = () => `${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`;
  ensureBuilt();
  const groups = settings.groups.filter((g) => MEASUREMENTS[g]);
  if (groups.length === 0) throw new Error(`--only names none of ${Object.keys(MEASUREMENTS).join(', ')}`);
  log(`authlink bench (${settings.mode}): ${settings.rounds} rounds × ${groups.join(', ')}, ${settings.seconds} s per measurement, ${settings.connections} connections`);
  log(`  scratch: ${tmpRoot}`);

  const upstream = await startScript('upstream', 'upstream.mjs', ['0']);
  // The scale databases are filled while the main server starts and idles.
  const scale = groups.includes('scale')
    ? Promise.all([prepareScaleServer('accounts-small', settings.smallAccounts, upstream.origin), prepareScaleServer('accounts-large', settings.largeAccounts, upstream.origin)])
    : Promise.resolve([]);
  scale.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled meanwhile
  const [baselines, main] = await Promise.all([startScript('baselines', 'baselines.mjs', ['0', upstream.origin]), startAuthlink('main', join(tmpRoot, 'main'), { profile: flags.profile })]);
  // Idle: started, nothing asked yet but /healthz; give it a moment to settle.
  await sleep(2000);
  const idleRss = main.child.rss();
  log(`  authlink serve idle RSS: ${fmt(idleRss, 'MB')}`);

  // Objects the measurements use.
  const accountId = await createApiAccount(main, upstream.origin);
  const oauth = await api(main, 'POST', '/integrations', {
    app: 'bench-oauth',
    authScheme: 'OAUTH2',
    authConfig: {
      authorizationUrl: `${upstream.origin}/oauth/authorize`,
      tokenUrl: `${upstream.origin}/oauth/token`,
      clientId: 'bench-client',
      clientSecret: 'bench-secret',
      scopes: ['read'],
    },
  });
  const initiateBody = JSON.stringify({ integrationId: oauth.json.id });
  const initiated = await api(main, 'POST', '/connected-accounts', JSON.parse(initiateBody));
  if (initiated.json.connectionStatus !== 'INITIATED' || !initiated.json.redirectUrl) throw new Error(`initiate answered ${JSON.stringify(initiated.json)}`);
  const proxied = await api(main, 'GET', `/proxy/${accountId}/v1/users/me`);
  if (proxied.headers.get('x-authlink-proxy') !== '1' || proxied.json.login !== 'bench-user') throw new Error('the proxy did not reach the upstream');

  const [small, large] = await scale;

  const headers = { 'x-api-key': apiKey };
  const pick = (ids) => ids[Math.floor(Math.random() * ids.length)];
  // Each target names the process that answers it, whose CPU time per request is recorded beside its throughput.
  const targets = {
    bare: { url: `${baselines.origin}/x/${accountId}`, headers, server: baselines },
    credentials: { url: `${main.origin}/api/v1/connected-accounts/${accountId}/credentials`, headers, server: main },
    initiate: { url: `${main.origin}/api/v1/connected-accounts`, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: initiateBody, server: main },
    direct: { url: `${upstream.origin}/v1/users/me`, headers, server: upstream },
    passthrough: { url: `${baselines.origin}/proxy/${accountId}/v1/users/me`, headers, server: baselines },
    proxy: { url: `${main.origin}/api/v1/proxy/${accountId}/v1/users/me`, headers, server: main },
    ...(small && {
      'scale-small': { url: `${small.origin}/api/v1/connected-accounts/${small.ids[0]}/credentials`, headers, path: () => `/api/v1/connected-accounts/${pick(small.ids)}/credentials`, server: small },
      'scale-large': { url: `${large.origin}/api/v1/connected-accounts/${large.ids[0]}/credentials`, headers, path: () => `/api/v1/connected-accounts/${pick(large.ids)}/credentials`, server: large },
    }),
  };
  const targetOf = (id) => targets[id.replace(/@\d+$/, '')];

  const ourPids = () => [process.pid, ...children.filter((c) => c.process?.exitCode === null).map((c) => c.pid)];
  const meter = new BusyMeter(ourPids);
  const problems = [];
  const check = (round, id, result) => {
    if (result.requests === 0 || result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
      problems.push({ round, measurement: id, requests: result.requests, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, statuses: result.statuses });
    }
  };

  log(`  [${since()}] warm-up: until steady, at most ${settings.warmupSeconds} s per target`);
  const warmups = {};
  for (const group of groups) {
    for (const id of MEASUREMENTS[group].members) {
      warmups[id] = await warmUp(targetOf(id), MEASUREMENTS[group].connections(), (result) => check('warm-up', id, result));
      log(`  warm-up ${id.padEnd(14)} ${warmups[id].seconds.toFixed(1).padStart(5)} s${warmups[id].steady === false ? ' (not steady yet)' : ''}`);
    }
  }

  const rounds = [];
  const quietRounds = () => rounds.filter((round) => !round.noisy).length;
  for (let r = 1; r <= settings.rounds || (r <= settings.rounds + settings.extraRounds && quietRounds() < 3); r += 1) {
    if (r > settings.rounds) log(`  only ${quietRounds()} quiet round(s) so far: one more`);
    await waitForQuiet(meter);
    const roundStart = meter.snapshot();
    const results = {};
    const busy = {};
    for (const group of groups) {
      // Alternate the order round by round, so neither side of a ratio always goes first.
      const members = r % 2 === 1 ? MEASUREMENTS[group].members : [...MEASUREMENTS[group].members].reverse();
      for (const id of members) {
        await sleep(100);
        const before = meter.snapshot();
        const result = await measure(targetOf(id), { seconds: settings.seconds, connections: MEASUREMENTS[group].connections() });
        const after = meter.snapshot();
        busy[id] = meter.between(before, after);
        const serverCpuSeconds = meter.cpuSecondsOf(targetOf(id).server.child.pid, before, after);
        results[id] = { ...result, serverCpuUsPerRequest: result.requests > 0 ? (serverCpuSeconds * 1e6) / result.requests : NaN };
        check(r, id, result);
        log(
          `  round ${r}  ${id.padEnd(14)} ${fmt(result.rps, 'req/s').padStart(13)}  p50 ${fmt(result.latencyMs.p50, 'ms').padStart(9)}  p99 ${fmt(result.latencyMs.p99, 'ms').padStart(9)}  server ${results[id].serverCpuUsPerRequest.toFixed(0).padStart(4)} µs/req  other CPU ${busy[id].otherCores.toFixed(2)} cores`,
        );
      }
    }
    const load = meter.between(roundStart, meter.snapshot());
    // Noisy when other processes were busy during any one measurement: that one ratio would be off.
    const worst = Math.max(...Object.values(busy).map((b) => b.otherCores));
    rounds.push({ round: r, busy: { ...load, worstOtherCores: worst }, noisy: worst > settings.noiseThresholdCores, results, busyByMeasurement: busy, ratios: ratiosOf(results) });
  }

  const memory = {
    idleRss,
    mainRssAfter: main.child.rss(),
    ...(small && { smallIdleRss: small.idleRss, smallRssAfter: small.child.rss(), largeIdleRss: large.idleRss, largeRssAfter: large.child.rss() }),
  };

  log(`  [${since()}] rounds done; stopping servers`);
  for (const child of [...children].reverse()) await child.stop();
  let profile;
  if (flags.profile) {
    const file = readdirSync(profileDir).find((name) => name.startsWith('main'));
    if (file) profile = { file: relative(ROOT, join(profileDir, file)), top: summariseProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')), 25) };
  }
  if (!flags.keep) rmSync(tmpRoot, { recursive: true, force: true });

  // Medians over quiet rounds when there are at least 3 of them, else over every round.
  const quiet = rounds.filter((r) => !r.noisy);
  const used = quiet.length >= Math.min(3, rounds.length) ? quiet : rounds;
  const figures = buildFigures(used, memory, small, large);
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    node: process.version,
    machine: machineInfo(),
    git: gitInfo(),
    settings,
    warmups,
    roundsUsed: used.map((r) => r.round),
    figures: figures.map((f) => ({ ...f, met: goalMet(f) })),
    memory,
    rounds,
    problems,
    ...(profile && { profile }),
  };
  writeResults(report, figures, rounds, used);
  if (problems.length > 0) {
    log(`\nSomething broke: ${problems.length} measurement(s) had errors or non-2xx answers:`);
    for (const p of problems) log(`  ${JSON.stringify(p)}`);
    process.exitCode = 1;
  }
}

/** Waits (at most settings.quietWaitSeconds) until other processes use no more than the noise threshold. */
async function waitForQuiet(meter) {
  const deadline = Date.now() + settings.quietWaitSeconds * 1000;
  let told = false;
  while (Date.now() < deadline) {
    const before = meter.snapshot();
    await sleep(1000);
    const { otherCores } = meter.between(before, meter.snapshot());
    if (otherCores <= settings.noiseThresholdCores) return;
    if (!told) log(`  the machine is busy (other processes: ${otherCores.toFixed(2)} cores); waiting up to ${settings.quietWaitSeconds} s`);
    told = true;
  }
}

function ratiosOf(m) {
  const ratio = (a, b) => (m[a] && m[b] ? m[a].rps / m[b].rps : undefined);
  const added = (a, b) => (m[a] && m[b] ? m[a].latencyMs.p50 - m[b].latencyMs.p50 : undefined);
  return {
    credentials: ratio('credentials', 'bare'),
    initiate: ratio('initiate', 'bare'),
    proxy: ratio('proxy', 'passthrough'),
    proxyVsDirect: ratio('proxy', 'direct'),
    passthroughVsDirect: ratio('passthrough', 'direct'),
    proxyAddedMs: added('proxy@1', 'direct@1'),
    passthroughAddedMs: added('passthrough@1', 'direct@1'),
    scaleP99: m['scale-large'] && m['scale-small'] ? m['scale-large'].latencyMs.p99 / m['scale-small'].latencyMs.p99 : undefined,
  };
}

function buildFigures(rounds, memory, small, large) {
  const of = (id, pick) => {
    const values = rounds.map((r) => r.results[id]).filter(Boolean).map(pick);
    return values.length === 0 ? undefined : spread(values);
  };
  const ratio = (name) => {
    const values = rounds.map((r) => r.ratios[name]).filter((v) => v !== undefined);
    return values.length === 0 ? undefined : spread(values);
  };
  const rps = (r) => r.rps;
  const cpu = (r) => r.serverCpuUsPerRequest;
  // What a request cost the server that answered it, on both sides of a throughput ratio.
  const cpuOf = (target, baseline) => ({ value: of(target, cpu), baseline: of(baseline, cpu) });
  const p50 = (r) => r.latencyMs.p50;
  const p99 = (r) => r.latencyMs.p99;
  const c = settings.connections;
  const count = (n) => n.toLocaleString('en-US');
  const figures = [
    { id: 'credentials', figure: `credential read ÷ bare route (${c} conns)`, value: of('credentials', rps), valueUnit: 'req/s', baseline: of('bare', rps), baselineLabel: '(bare /x/:id)', ratio: ratio('credentials'), ratioUnit: 'x', goal: { op: '>=', target: 0.5 }, cpu: cpuOf('credentials', 'bare') },
    { id: 'initiate', figure: `initiate OAuth2 connection ÷ bare route (${c} conns)`, value: of('initiate', rps), valueUnit: 'req/s', baseline: of('bare', rps), baselineLabel: '(bare /x/:id)', ratio: ratio('initiate'), ratioUnit: 'x', goal: { op: '>=', target: 0.3 }, cpu: cpuOf('initiate', 'bare') },
    { id: 'proxy', figure: `proxy ÷ bare pass-through (${c} conns)`, value: of('proxy', rps), valueUnit: 'req/s', baseline: of('passthrough', rps), baselineLabel: '(Fastify+undici)', ratio: ratio('proxy'), ratioUnit: 'x', goal: { op: '>=', target: 0.9 }, cpu: cpuOf('proxy', 'passthrough') },
    { id: 'proxy-vs-direct', figure: `proxy ÷ upstream direct (${c} conns)`, value: of('proxy', rps), valueUnit: 'req/s', baseline: of('direct', rps), baselineLabel: '(upstream)', ratio: ratio('proxyVsDirect'), ratioUnit: 'x' },
    { id: 'proxy-added-latency', figure: 'proxy added p50 latency (1 conn)', value: of('proxy@1', p50), valueUnit: 'ms', baseline: of('direct@1', p50), baselineLabel: '(upstream direct)', ratio: ratio('proxyAddedMs'), ratioUnit: '+ms', goal: { op: '<=', target: 0.5, unit: '+ms' } },
    { id: 'passthrough-added-latency', figure: 'pass-through added p50 latency (1 conn)', value: of('passthrough@1', p50), valueUnit: 'ms', baseline: of('direct@1', p50), baselineLabel: '(upstream direct)', ratio: ratio('passthroughAddedMs'), ratioUnit: '+ms' },
  ];
  if (small) {
    figures.push({
      id: 'scale-p99',
      figure: `credential read p99, ${count(large.accounts)} ÷ ${count(small.accounts)} accounts (${c} conns)`,
      value: of('scale-large', p99),
      valueUnit: 'ms',
      baseline: of('scale-small', p99),
      baselineLabel: `(${count(small.accounts)} accounts)`,
      ratio: ratio('scaleP99'),
      ratioUnit: 'x',
      goal: { op: '<=', target: 2 },
    });
  }
  const single = (v) => (v === undefined ? undefined : { median: v, min: v, max: v, n: 1 });
  figures.push({ id: 'idle-rss', figure: 'authlink serve idle RSS', value: single(memory.idleRss), valueUnit: 'MB', baselineLabel: '—', ratioUnit: 'x', goal: { op: '<=', target: 100 * MB, unit: 'MB', on: 'value' } });
  if (small) {
    figures.push({
      id: 'large-rss',
      figure: `RSS after the ${count(large.accounts)}-account run`,
      value: single(memory.largeRssAfter),
      valueUnit: 'MB',
      baseline: single(memory.smallRssAfter),
      baselineLabel: `(${count(small.accounts)} accounts, after its run)`,
      ratio: single(memory.largeRssAfter / memory.smallRssAfter),
      ratioUnit: 'x',
    });
  }
  figures.push({ id: 'main-rss', figure: 'RSS of the main server after all rounds', value: single(memory.mainRssAfter), valueUnit: 'MB', baseline: single(memory.idleRss), baselineLabel: '(idle)', ratio: single(memory.mainRssAfter / memory.idleRss), ratioUnit: 'x' });
  return figures;
}

function roundRows(rounds, used) {
  const r2 = (v) => (v === undefined ? '—' : fmt(v, 'x'));
  const ms = (v) => (v === undefined ? '—' : fmt(v, '+ms'));
  return rounds.map((r) => ({
    round: String(r.round),
    other: `${r.busy.otherCores.toFixed(2)} / ${r.busy.worstOtherCores.toFixed(2)}`,
    load: r.busy.loadavg1.toFixed(2),
    used: used.includes(r) ? 'yes' : 'no (noisy)',
    credentials: r2(r.ratios.credentials),
    initiate: r2(r.ratios.initiate),
    proxy: r2(r.ratios.proxy),
    proxyVsDirect: r2(r.ratios.proxyVsDirect),
    added: ms(r.ratios.proxyAddedMs),
    scale: r2(r.ratios.scaleP99),
  }));
}
const ROUND_COLUMNS = [
  ['round', 'round'],
  ['other', 'other CPU, cores (mean / worst)'],
  ['load', 'loadavg 1m'],
  ['used', 'used'],
  ['credentials', 'cred ÷ bare'],
  ['initiate', 'initiate ÷ bare'],
  ['proxy', 'proxy ÷ pass-through'],
  ['proxyVsDirect', 'proxy ÷ direct'],
  ['added', 'proxy added p50'],
  ['scale', 'p99 large ÷ small'],
];

/**
 * The throughput goals as CPU budgets: a goal of r over a baseline that costs its server B µs a
 * request leaves authlink about B ÷ r µs. Unlike throughput, CPU per request hardly depends on how
 * the load generator and the server shared the cores, so it says what a miss is made of.
 */
function cpuBudgetRows(figures) {
  const us = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} µs` : '—');
  return figures
    .filter((f) => f.cpu?.value && f.cpu.baseline && f.goal?.op === '>=')
    .map((f) => {
      const value = f.cpu.value.median;
      const baseline = f.cpu.baseline.median;
      const allowed = baseline / f.goal.target;
      return {
        figure: f.figure.replace(/ \(\d+ conns\)$/, ''),
        value: us(value),
        baseline: us(baseline),
        ratio: fmt(baseline / value, 'x'),
        allowed: us(allowed),
        over: value <= allowed ? 'within' : `+${us(value - allowed)}`,
      };
    });
}
const CPU_COLUMNS = [
  ['figure', 'figure'],
  ['value', 'authlink CPU per request'],
  ['baseline', 'baseline CPU per request'],
  ['ratio', 'baseline ÷ authlink'],
  ['allowed', 'the goal allows'],
  ['over', 'over by'],
];

function measurementRows(rounds) {
  const rows = [];
  for (const r of rounds) {
    for (const [id, m] of Object.entries(r.results)) {
      rows.push({
        round: String(r.round),
        target: id,
        rps: fmt(m.rps, 'req/s'),
        p50: fmt(m.latencyMs.p50, 'ms'),
        p99: fmt(m.latencyMs.p99, 'ms'),
        cpu: Number.isFinite(m.serverCpuUsPerRequest) ? `${m.serverCpuUsPerRequest.toFixed(0)} µs` : '—',
        other: r.busyByMeasurement[id].otherCores.toFixed(2),
      });
    }
  }
  return rows;
}
const MEASUREMENT_COLUMNS = [
  ['round', 'round'],
  ['target', 'target'],
  ['rps', 'throughput'],
  ['p50', 'p50'],
  ['p99', 'p99'],
  ['cpu', 'server CPU per request'],
  ['other', 'other CPU (cores)'],
];

function writeResults(report, figures, rounds, used) {
  const rows = tableRows(figures);
  log('');
  log(textTable(rows));
  const budgets = cpuBudgetRows(figures);
  if (budgets.length > 0) {
    log('');
    log(textTable(budgets, CPU_COLUMNS));
  }
  log('');
  log(textTable(roundRows(rounds, used), ROUND_COLUMNS));
  if (used.length !== rounds.filter((r) => !r.noisy).length || used.length < rounds.length) {
    log(used.length === rounds.length ? '\nToo few quiet rounds: medians are over every round.' : `\nMedians over rounds ${used.map((r) => r.round).join(', ')} (the others were noisy).`);
  }
  if (report.profile) {
    log(`\nHottest functions of the main authlink server (self time, ${report.profile.file}):`);
    for (const f of report.profile.top.slice(0, 15)) log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.function}  ${f.location}`);
  }

  const dir = join(BENCH, 'results');
  mkdirSync(dir, { recursive: true });
  const s = report.settings;
  const markdown = [
    `# authlink bench — ${s.mode} run`,
    '',
    `${report.startedAt} · commit ${report.git.commit}${report.git.packagesDirty ? ' (packages/ had uncommitted changes)' : ''} · Node ${report.node} · ${report.machine.cpus} × ${report.machine.cpuModel}`,
    '',
    `${rounds.length} rounds${rounds.length > s.rounds ? ` (${s.rounds} planned, ${rounds.length - s.rounds} added for want of quiet ones)` : ''} of ${s.seconds} s per measurement after a warm-up per target until steady (${Object.entries(report.warmups).map(([id, w]) => `${id} ${w.seconds} s${w.steady === false ? ', not steady' : ''}`).join(', ')}); ${s.connections} connections for throughput, 1 for the added latency. ` +
      `Ratios are taken within each round, then summarised as median (min – max) over rounds ${report.roundsUsed.join(', ')}. ` +
      `See [bench/README.md](../README.md) for what each figure means.`,
    '',
    markdownTable(rows),
    '',
    ...(budgets.length > 0
      ? [
          '## Server CPU per request',
          '',
          "What a request cost the server that answered it (all its threads, kernel time included; medians over the same rounds), and the CPU a throughput goal leaves authlink: the baseline's cost ÷ the goal. Throughput also depends on how the load generator and the server shared the 2 cores; CPU per request hardly does.",
          '',
          markdownTable(budgets, CPU_COLUMNS),
          '',
        ]
      : []),
    '## Rounds',
    '',
    `A round is noisy (and left out when at least 3 quiet ones remain) when, during any of its measurements, processes other than the bench's used more than ${s.noiseThresholdCores} cores on average.`,
    '',
    markdownTable(roundRows(rounds, used), ROUND_COLUMNS),
    '',
    '## Every measurement',
    '',
    markdownTable(measurementRows(rounds), MEASUREMENT_COLUMNS),
    '',
    '## Memory',
    '',
    ...Object.entries(report.memory).map(([name, bytes]) => `- ${name}: ${fmt(bytes, 'MB')}`),
    '',
    ...(report.profile
      ? ['## Hottest functions of the main server (self time)', '', `From \`${report.profile.file}\`.`, '', ...report.profile.top.map((f) => `- ${f.percent.toFixed(1)}% \`${f.function}\` ${f.location}`), '']
      : []),
    ...(report.problems.length > 0 ? ['## Problems', '', ...report.problems.map((p) => `- ${JSON.stringify(p)}`), ''] : []),
  ].join('\n');
  writeFileSync(join(dir, `${outName}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${outName}.md`), markdown);
  log(`\nwrote ${relative(ROOT, join(dir, `${outName}.json`))} and ${relative(ROOT, join(dir, `${outName}.md`))}`);
  log(`medians of the figures: ${figures.filter((f) => f.ratio).map((f) => `${f.id} ${fmt(f.ratio.median, f.ratioUnit)}`).join(', ')}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping\n`);
    for (const child of children) child.process?.kill('SIGKILL');
    if (!flags.keep) rmSync(tmpRoot, { recursive: true, force: true });
    process.exit(130);
  });
}

main().catch(async (error) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  for (const child of [...children].reverse()) await child.stop(2000).catch(() => {});
  if (!flags.keep) rmSync(tmpRoot, { recursive: true, force: true });
  process.exit(1);
});
