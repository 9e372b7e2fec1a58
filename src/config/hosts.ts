/**
 * The host inventory: hosts/*.yaml. `transport: local` runs on this machine; SSH hosts are
 * described in hosts/example-lab.yaml.
 */
import { z } from 'zod';
import { loadYaml } from './load.js';

const hostSettings = {
  /** free-form labels: platform (tdx, snp, ...), lab, rack ...; platform becomes a time-series tag */
  labels: z.record(z.string(), z.string()).default({}),
  /** override the suite's memory guard for this host */
  maxMemShare: z.number().gt(0).max(0.95).optional(),
  /** huge pages to reserve (root) before the run and give back after; 0 leaves the host as it is */
  hugetlbPages: z.number().int().min(0).optional(),
};

export const localHostSchema = z
  .object({
    name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "_" and "-" only'),
    transport: z.literal('local'),
    ...hostSettings,
  })
  .strict();

export const hostSchema = z.discriminatedUnion('transport', [localHostSchema]);

export const inventorySchema = z
  .object({
    hosts: z.array(hostSchema).min(1),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.hosts.forEach((h, i) => {
      if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host name "${h.name}"` });
      seen.add(h.name);
    });
  });

export type HostConfig = z.output<typeof hostSchema>;
export type Inventory = z.output<typeof inventorySchema>;

export async function loadInventory(file: string): Promise<Inventory> {
  return loadYaml(file, inventorySchema);
}

export const LOCAL_INVENTORY: Inventory = { hosts: [{ name: 'local', transport: 'local', labels: { platform: 'local' } }] };
