/** One place that turns a URL (http://user:pass@host:8086) and a database name into a client. */
import { InfluxDB } from 'influx';

export const DEFAULT_DB = 'gmembench';

export interface InfluxTarget {
  url: string;
  db: string;
}

/**
 * timeoutMs bounds each request; maxRetries is the client pool's own retry count (push.ts sets 0 and
 * retries with its own backoff).
 */
/** Throws when `url` cannot be an InfluxDB URL (for checking a command line before anything runs). */
export function checkInfluxUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('not a URL (write e.g. http://localhost:8086 or http://user:pass@host:8086)');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`${redactUrl(url)}: only http and https are supported`);
  return url;
}

export function connectInflux(target: InfluxTarget, opts: { timeoutMs?: number; maxRetries?: number } = {}): InfluxDB {
  let u: URL;
  try {
    u = new URL(target.url);
  } catch {
    throw new Error(`--influx: not a URL: "${target.url}" (write e.g. http://localhost:8086)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`--influx: ${target.url}: only http and https are supported`);
  }
  return new InfluxDB({
    host: u.hostname,
    port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 8086,
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    // credentials only when the URL has them: left undefined, the client fills in root:root and
    // sends it with every request; null is what it leaves alone (and then sends no Authorization)
    username: u.username ? decodeURIComponent(u.username) : (null as unknown as undefined),
    password: u.username ? decodeURIComponent(u.password) : (null as unknown as undefined),
    database: target.db,
    options: { timeout: opts.timeoutMs ?? 10_000 } as never,
    pool: {
      requestTimeout: opts.timeoutMs ?? 10_000,
      ...(opts.maxRetries !== undefined && { maxRetries: opts.maxRetries }),
    },
  });
}

/** The URL without credentials, for messages (never log a password). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}
