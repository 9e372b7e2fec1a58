/** Open the transport an inventory entry asks for. */
import type { HostConfig } from '../config/hosts.js';
import { LocalTransport } from './local.js';
import type { Transport } from './transport.js';

export async function openTransport(host: HostConfig, _opts: { signal?: AbortSignal } = {}): Promise<Transport> {
  switch (host.transport) {
    case 'local':
      return new LocalTransport(host.name);
  }
}
