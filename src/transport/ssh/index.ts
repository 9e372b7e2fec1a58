/**
 * The SSH transport: commands run over one ssh2 connection per host (see connect.ts for host keys
 * and authentication, exec.ts for time limits and killing, deliver.ts for the probe upload).
 */
import type { SshHostConfig } from '../../config/hosts.js';
import { HostFailure } from '../../benchmark/failure.js';
import type { ProbeBinary } from '../../probe/build.js';
import type { ProbeDelivery } from '../../probe/deliver.js';
import type { ExecOptions, ExecResult, Transport } from '../transport.js';
import { connectSsh, type SshConnectOptions, type SshConnection } from './connect.js';
import { deliverProbeOverSsh } from './deliver.js';
import { sshExec, sshUpload } from './exec.js';

export class SshTransport implements Transport, ProbeDelivery {
  private remoteDirResolved: Promise<string> | null = null;

  private constructor(
    readonly config: SshHostConfig,
    readonly conn: SshConnection,
  ) {}

  get host(): string {
    return this.config.name;
  }

  static async open(config: SshHostConfig, opts: SshConnectOptions = {}): Promise<SshTransport> {
    return new SshTransport(config, await connectSsh(config, opts));
  }

  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return sshExec(this.conn, argv, opts, {
      defaultTimeoutMs: this.config.commandTimeout * 1000,
      idleTimeoutMs: this.config.idleTimeout * 1000,
    });
  }

  put(localPath: string, remotePath: string, mode: number): Promise<void> {
    return sshUpload(this.conn, localPath, remotePath, mode, this.config.commandTimeout * 1000);
  }

  /** <remoteDir> with ~ replaced by the remote user's home */
  remoteDir(): Promise<string> {
    this.remoteDirResolved ??= (async () => {
      const d = this.config.remoteDir;
      if (d !== '~' && !d.startsWith('~/')) return d;
      const r = await this.exec(['sh', '-c', 'printf %s "$HOME"']);
      const home = r.stdout.trim();
      if (r.exitCode !== 0 || !home.startsWith('/'))
        throw new HostFailure(this.host, 'probe-error', `cannot find the remote home directory for ${d}`);
      return home + d.slice(1);
    })();
    return this.remoteDirResolved;
  }

  async deliverProbe(probe: ProbeBinary, onProgress?: (msg: string) => void): Promise<string> {
    return deliverProbeOverSsh(this, await this.remoteDir(), probe, onProgress);
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}
