/** First start: an empty store gets the `admin` user. */
import { randomUUID } from 'node:crypto';
import type { Actor, ClinicStore } from '../store/types';
import { applyMutation } from '../mutations/run';
import { generatePassword, owaspHasher, type PasswordHasher } from './passwords';

export interface BootstrapResult {
  created: boolean;
  /** Set when the password was generated and must be shown once. */
  generatedPassword?: string;
  adminId?: string;
}

export async function ensureAdmin(
  store: ClinicStore,
  password: string | undefined,
  adminId = randomUUID(),
  hasher: PasswordHasher = owaspHasher,
): Promise<BootstrapResult> {
  if ((await store.countUsers()) > 0) return { created: false };
  const generated = password ? undefined : generatePassword();
  const hash = await hasher.hash(password ?? generated!);
  const system: Actor = { id: adminId, username: 'admin', role: 'admin' };
  const created = await store.write(async (tx) => {
    // Several instances may start at once on one empty PostgreSQL database: one creates the admin.
    await tx.lock(['bootstrap:admin']);
    if (await tx.findUserByUsername('admin')) return false;
    await applyMutation(tx, system, {
      collection: 'users',
      op: 'create',
      id: adminId,
      data: { username: 'admin', displayName: 'Administrator', role: 'admin' },
    });
    await tx.setPasswordHash(adminId, hash);
    await tx.appendAudit({ userId: adminId, username: 'admin', action: 'create', collection: 'users', rowId: adminId, detail: 'first start: admin created' });
    return true;
  });
  if (!created) return { created: false };
  return { created: true, generatedPassword: generated, adminId };
}
