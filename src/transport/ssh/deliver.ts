/**
 * Put the probe on an SSH host: the controller's static build, uploaded once per host and kept in
 * <remoteDir>/probe/<sha256>/ (a host that has it, checksum verified, skips the upload); a host of
 * another architecture builds it from the sources with its own compiler (same flags as
 * src/probe/build.ts), cached by source hash and architecture.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { HostFailure } from '../../benchmark/failure.js';
import { PROBE_CFLAGS, probeSources, type ProbeBinary } from '../../probe/build.js';
import type { Transport } from '../transport.js';
import { shellQuote } from '../../util/shell.js';

export async function deliverProbeOverSsh(
  t: Transport,
  remoteDir: string,
  probe: ProbeBinary,
  onProgress?: (msg: string) => void,
): Promise<string> {
  const dir = `${remoteDir}/probe/${probe.sha256}`;
  const path = `${dir}/gmembench-probe`;
  // one round trip for the common case (each exec is a new SSH session): architecture and checksum
  const [arch, sum] = (await run(t, ['sh', '-c', 'uname -m; sha256sum "$1" 2>/dev/null; true', 'sh', path])).split(
    '\n',
  );
  if (arch === probe.arch) {
    if (/^([0-9a-f]{64})\s/.exec(sum ?? '')?.[1] === probe.sha256) {
      onProgress?.('probe already on host (checksum ok)');
      return path;
    }
    onProgress?.('uploading probe');
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await t.put(probe.path, tmp, 0o755);
    // checked on the host, then moved into place (or thrown away) in the same round trip
    const got = await run(t, [
      'sh',
      '-c',
      's=$(sha256sum "$1" | cut -d" " -f1); if [ "$s" = "$3" ]; then mv -f "$1" "$2"; else rm -f "$1"; fi; echo "$s"',
      'sh',
      tmp,
      path,
      probe.sha256,
    ]);
    if (got !== probe.sha256) {
      throw new HostFailure(
        t.host,
        'probe-error',
        `uploaded probe has sha256 ${got || '(none)'} on the host, expected ${probe.sha256}`,
      );
    }
    return path;
  }

  return buildOnHost(t, remoteDir, probe, arch, onProgress);
}

/** another architecture: build on the host if it has a compiler */
async function buildOnHost(
  t: Transport,
  remoteDir: string,
  probe: ProbeBinary,
  arch: string,
  onProgress?: (msg: string) => void,
): Promise<string> {
  const dir = `${remoteDir}/probe/src-${probe.sourceHash}-${arch}`;
  const path = `${dir}/gmembench-probe`;
  if ((await t.exec(['test', '-x', path])).exitCode === 0) {
    onProgress?.(`probe already built on host (${arch})`);
    return path;
  }
  const cc = (await t.exec(['sh', '-c', 'command -v cc || command -v gcc || command -v clang'])).stdout
    .trim()
    .split('\n')[0];
  if (!cc) {
    throw new HostFailure(
      t.host,
      'probe-error',
      `host is ${arch}, the controller built the probe for ${probe.arch}, and the host has no C compiler (cc, gcc, clang) to build it`,
    );
  }
  onProgress?.(`building probe on host (${arch}, ${cc})`);
  const sources = await probeSources();
  const srcDir = `${dir}/src`;
  for (const f of sources) await t.put(f, `${srcDir}/${basename(f)}`, 0o644);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const cfiles = sources.filter((f) => f.endsWith('.c')).map((f) => `${srcDir}/${basename(f)}`);
  const r = await t.exec([
    'sh',
    '-c',
    `${shellQuote([cc, ...PROBE_CFLAGS, ...cfiles, '-o', tmp])} && mv -f ${shellQuote([tmp, path])}`,
  ]);
  if (r.exitCode !== 0) {
    throw new HostFailure(
      t.host,
      'probe-error',
      `building the probe on the host with ${cc} failed: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  return path;
}

async function run(t: Transport, argv: string[]): Promise<string> {
  const r = await t.exec(argv);
  if (r.exitCode !== 0)
    throw new HostFailure(t.host, 'probe-error', `${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}
