/**
 * Reading the change log for one user: what `GET /api/sync/pull` answers, and what the live
 * channel puts into a poke for a terminal that asked for the changes themselves. Both go through
 * here so a page is read once per role and cursor (SharedPulls) and every answer holding
 * treatment records is audited as a read by the user it went to.
 */
import type { CollectionName } from '../../shared/domain/collections';
import type { ClinicStore } from '../store/types';
import type { Actor } from '../store/types';
import { pullAnswer, type PullAnswer } from './pullAnswer';
import { SharedPulls } from './sharedPulls';

export interface PullRequest {
  since: string | undefined;
  limit: number;
  collections: CollectionName[];
  /** How the audit entry names the read: "pull", "live update". */
  via: string;
}

export class ChangePulls {
  private readonly shared: SharedPulls<PullAnswer>;

  constructor(private readonly store: ClinicStore) {
    this.shared = new SharedPulls<PullAnswer>(store);
  }

  async answer(actor: Actor, request: PullRequest): Promise<PullAnswer> {
    const { since, limit, collections } = request;
    const key = `${actor.role}|${since ?? ''}|${limit}|${collections.join(',')}`;
    const answer = await this.shared.get(key, async () => pullAnswer(actor.role, await this.store.pullSince({ since, limit, collections })));
    const clinical = answer.clinicalIds;
    const fields = answer.clinicalFieldIds;
    if (clinical.length > 0 || fields.length > 0) {
      await this.store.write(async (tx) => {
        if (clinical.length > 0) {
          const detail = `${request.via} of ${clinical.length} treatment record change(s) since ${since || 'start'}`;
          await tx.appendAudit({ userId: actor.id, username: actor.username, action: 'read', collection: 'treatment-records', rowId: clinical.length === 1 ? clinical[0]! : null, detail });
        }
        if (fields.length > 0) {
          const detail = `${request.via} of medicalHistory in ${fields.length} patient change(s) since ${since || 'start'}`;
          await tx.appendAudit({ userId: actor.id, username: actor.username, action: 'read', collection: 'patients', rowId: fields.length === 1 ? fields[0]! : null, detail });
        }
      });
    }
    return answer;
  }

  close(): void {
    this.shared.close();
  }
}

/** Every read of clinical data is audited (api-contract.md): one entry per answer that held any. */
export function auditClinicalRead(
  store: ClinicStore,
  actor: Actor,
  rowId: string | null,
  detail: string,
  collection: 'treatment-records' | 'patients' = 'treatment-records',
): Promise<void> {
  return store.write((tx) => tx.appendAudit({ userId: actor.id, username: actor.username, action: 'read', collection, rowId, detail }));
}
