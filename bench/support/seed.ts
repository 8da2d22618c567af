/**
 * Large data sets written straight through the server's store (the same `write`/`putRow`/
 * `appendChange` path the mutation code uses), not through hundreds of thousands of HTTP calls.
 * Run it while the server is stopped: the store is then the only writer of the file.
 */
import type { CollectionName } from '../../shared/domain/collections';
import { openStore } from '../../server/app';
import type { ClinicStore } from '../../server/store/types';
import { appointmentFields, inventoryFields, patientFields, referralFields, storedRow } from './fixtures';

export interface SeedPlan {
  patients: number;
  appointments: number;
  inventory?: number;
  referrals?: number;
  /** Doctors' user ids (appointments need providers). */
  providerIds: string[];
  /** Written as `updatedBy`. */
  seededBy: string;
}

export interface SeedResult {
  rows: number;
  ms: number;
  patientIds: string[];
  inventoryIds: string[];
}

const chunk = 10_000;

async function writeMany(
  store: ClinicStore,
  collection: CollectionName,
  count: number,
  fields: (i: number) => Record<string, unknown>,
  seededBy: string,
): Promise<string[]> {
  const ids: string[] = [];
  const at = new Date().toISOString();
  for (let from = 0; from < count; from += chunk) {
    await store.write(async (tx) => {
      for (let i = from; i < Math.min(count, from + chunk); i++) {
        const { id, row, fieldVersions } = storedRow(collection, fields(i), seededBy, at);
        await tx.putRow({ collection, id, version: 1, deleted: false, row: row as never, fieldVersions });
        await tx.appendChange({ collection, id, version: 1, op: 'upsert' });
        ids.push(id);
      }
    });
  }
  return ids;
}

/** `where`: the server's data directory (SQLite) or its DATABASE_URL (PostgreSQL). */
export async function seedStore(where: { dataDir: string; databaseUrl?: string }, plan: SeedPlan): Promise<SeedResult> {
  const started = performance.now();
  const store = await openStore(where);
  await store.migrate();
  try {
    const patientIds = await writeMany(store, 'patients', plan.patients, patientFields, plan.seededBy);
    await writeMany(store, 'appointments', plan.appointments, (i) => appointmentFields(i, patientIds, plan.providerIds), plan.seededBy);
    const inventoryIds = await writeMany(store, 'inventory', plan.inventory ?? 0, inventoryFields, plan.seededBy);
    await writeMany(store, 'referrals', plan.referrals ?? 0, (i) => referralFields(i, patientIds), plan.seededBy);
    const rows = plan.patients + plan.appointments + (plan.inventory ?? 0) + (plan.referrals ?? 0);
    return { rows, ms: performance.now() - started, patientIds, inventoryIds };
  } finally {
    await store.close();
  }
}
