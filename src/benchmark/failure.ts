/** A host-level failure: the host could not be measured (as opposed to a failed row). */
import type { HostSubStatus } from '../results/schema.js';

export class HostFailure extends Error {
  constructor(
    readonly host: string,
    readonly subStatus: HostSubStatus,
    message: string,
  ) {
    super(message);
    this.name = 'HostFailure';
  }
}

/** Map any error thrown while working on a host to a sub-status (transports throw HostFailure). */
export function classify(host: string, err: unknown): HostFailure {
  if (err instanceof HostFailure) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/timed out/i.test(msg)) return new HostFailure(host, 'timeout', msg);
  if (/cancel|abort/i.test(msg)) return new HostFailure(host, 'interrupted', msg);
  return new HostFailure(host, 'probe-error', msg);
}
