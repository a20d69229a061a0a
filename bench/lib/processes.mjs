// Child processes under test: spawn, wait until ready, read their memory and CPU time, stop.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port that was free a moment ago (bind to 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const running = new Set();

// Whatever happens to the runner, its children do not outlive it.
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export class Child {
  /**
   * @param {string} name   shown in errors
   * @param {string[]} argv node arguments (script first, or node flags then script)
   * @param {{ env?: Record<string,string>, cwd?: string }} options
   */
  constructor(name, argv, options = {}) {
    this.name = name;
    this.argv = argv;
    this.options = options;
    this.output = '';
    this.process = undefined;
    this.exited = undefined;
  }

  get pid() {
    return this.process?.pid;
  }

  start() {
    const child = spawn(process.execPath, this.argv, {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    running.add(child);
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    return this;
  }

  /** Resolves when a line `ready PORT` is printed (the bench's own servers). */
  async waitForLine(pattern, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(this.output)) return;
      if (this.process.exitCode !== null) break;
      await sleep(20);
    }
    throw new Error(`${this.name} did not start:\n${this.output}`);
  }

  /** Resolves when GET url answers 200 (authlink's /healthz). */
  async waitForHttp(url, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) break;
      try {
        const response = await globalThis.fetch(url);
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`${this.name} did not become ready at ${url}:\n${this.output}`);
  }

  /** Resident set size in bytes (VmRSS), or undefined once the process is gone. */
  rss() {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after graceMs. */
  async stop(graceMs = 10_000) {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return this.exited;
    this.process.kill('SIGTERM');
    const timer = sleep(graceMs).then(() => 'timeout');
    if ((await Promise.race([this.exited, timer])) === 'timeout') this.process.kill('SIGKILL');
    return this.exited;
  }
}

/** utime + stime of a process, in clock ticks; 0 when it is gone. */
export function cpuTicksOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Runs a node script to completion and returns its stdout; rejects with its output on failure. */
export function runNode(argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (options.echoStderr) process.stderr.write(chunk);
    });
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`node ${argv.join(' ')} exited with ${code}:\n${stderr.slice(-4000)}`))));
  });
}
