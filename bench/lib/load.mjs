// One measurement: autocannon against one target for a fixed time, in this process (the servers
// under test run in their own processes). Latencies are taken from autocannon's per-response
// event, which carries the exact time (autocannon's own histogram keeps whole milliseconds only).
import autocannon from 'autocannon';

/**
 * @typedef {object} Target
 * @property {string} url            origin + default path
 * @property {string} [method]
 * @property {Record<string,string>} [headers]
 * @property {string} [body]
 * @property {() => string} [path]   a new path for every request (e.g. a random account)
 */

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * @param {Target} target
 * @param {{ seconds: number, connections: number }} load
 */
export function measure(target, { seconds, connections }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    let ok = 0;
    let bytes = 0;
    const statuses = {};
    const request = { method: target.method ?? 'GET', headers: target.headers ?? {}, ...(target.body !== undefined && { body: target.body }) };
    const options = {
      url: target.url,
      connections,
      pipelining: 1,
      duration: seconds,
      timeout: 10,
      sampleInt: 100, // autocannon checks for the end of the run at each sample: stop within 0.1 s, not 1 s
      ...request,
      ...(target.path && {
        requests: [
          {
            ...request,
            setupRequest: (req) => {
              req.path = target.path();
              return req;
            },
          },
        ],
      }),
    };
    const instance = autocannon(options, (error, result) => {
      if (error) return reject(error);
      const sorted = Float64Array.from(latencies).sort();
      const seconds = result.duration;
      const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1);
      resolve({
        seconds,
        requests: ok,
        rps: ok / seconds,
        bytesPerResponse: ok === 0 ? 0 : bytes / ok,
        latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean },
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        statuses,
      });
    });
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        ok += 1;
        bytes += resBytes;
        latencies.push(responseTime);
      }
    });
  });
}
