/**
 * Put the probe on a host and return the path to run it by. Locally that is the cached build
 * itself; remote delivery (upload once per host, checksum, cache by hash) lives in the SSH
 * transport's deliverProbe.
 */
import type { Transport } from '../transport/transport.js';
import type { ProbeBinary } from './build.js';

/** A transport that knows how to place the probe on its host implements this. */
export interface ProbeDelivery {
  deliverProbe(probe: ProbeBinary, onProgress?: (msg: string) => void): Promise<string>;
}

export function canDeliver(t: Transport): t is Transport & ProbeDelivery {
  return typeof (t as Partial<ProbeDelivery>).deliverProbe === 'function';
}

export async function ensureProbe(
  t: Transport,
  probe: ProbeBinary,
  onProgress?: (msg: string) => void,
): Promise<string> {
  if (canDeliver(t)) return t.deliverProbe(probe, onProgress);
  return probe.path;
}
