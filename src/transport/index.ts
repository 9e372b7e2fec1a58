/** Open the transport an inventory entry asks for. */
import type { HostConfig } from '../config/hosts.js';
import { LocalTransport } from './local.js';
import { SshTransport } from './ssh/index.js';
import type { Transport } from './transport.js';

export interface OpenOptions {
  signal?: AbortSignal;
  /** ssh: add unknown host keys to known_hosts (accept-new) */
  acceptNewHostKeys?: boolean;
  /** the inventory's hosts, for ssh jump hosts given by name */
  hosts?: readonly HostConfig[];
}

export async function openTransport(host: HostConfig, opts: OpenOptions = {}): Promise<Transport> {
  switch (host.transport) {
    case 'local':
      return new LocalTransport(host.name);
    case 'ssh':
      return SshTransport.open(host, opts);
  }
}
