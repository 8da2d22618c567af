/**
 * Reading the change log for one user: what `GET /api/sync/pull` answers, and what the live
 * channel puts into a poke for a terminal that asked for the changes themselves. Both go through
 * here so a page is read once per role and cursor (SharedPulls) and every answer holding
 * treatment records is audited as a read by the user it went to.
 */
import type { CollectionName, Role } from '../../shared/domain/collections';
import type { ClinicStore } from '../store/types';
import type { Actor } from '../store/types';
import { pullAnswer, type PullAnswer } from './pullAnswer';
import { SharedPulls } from './sharedPulls';
import { roles } from '../../shared/domain/collections';
import { syncedCollections } from '../../shared/domain/access';
import { liveChangesMax } from '../../shared/sync/protocol';
import { warmUpSyncParsers } from '../../shared/sync/warmUp';

export interface PullRequest {
  since: string | undefined;
  limit: number;
  collections: CollectionName[];
  /** How the audit entry names the read: "pull", "live update". */
  via: string;
}

/** One answer gone to one user, for the read audit. */
export interface AnsweredRead {
  actor: Actor;
  answer: PullAnswer;
  since: string | undefined;
  /** How the audit entry names the read: "pull", "live update". */
  via: string;
}

export class ChangePulls {
  private readonly shared: SharedPulls<PullAnswer>;

  constructor(private readonly store: ClinicStore) {
    this.shared = new SharedPulls<PullAnswer>(store);
  }

  /** A pull's answer for one user, audited as their read before it is returned. */
  async answer(actor: Actor, request: PullRequest): Promise<PullAnswer> {
    const answer = await this.read(actor.role, request);
    await this.audit([{ actor, answer, since: request.since, via: request.via }]);
    return answer;
  }

  /**
   * The answer as `role` sees it, shared by identical requests; NOT audited: whoever hands it to
   * a user audits it first (audit).
   */
  read(role: Role, request: Omit<PullRequest, 'via'>): Promise<PullAnswer> {
    const { since, limit, collections } = request;
    const key = `${role}|${since ?? ''}|${limit}|${collections.join(',')}`;
    return this.shared.get(key, async () => pullAnswer(role, await this.store.pullSince({ since, limit, collections })));
  }

  /**
   * The read audit of answers handed to users: an entry per answer that held clinical data, all
   * in one transaction (a live update going to 500 terminals is 500 reads, not 500 commits).
   */
  async audit(reads: readonly AnsweredRead[]): Promise<void> {
    const clinicalReads = reads.filter((r) => r.answer.clinicalIds.length > 0 || r.answer.clinicalFieldIds.length > 0);
    if (clinicalReads.length === 0) return;
    await this.store.write(async (tx) => {
      for (const { actor, answer, since, via } of clinicalReads) {
        const clinical = answer.clinicalIds;
        const fields = answer.clinicalFieldIds;
        if (clinical.length > 0) {
          const detail = `${via} of ${clinical.length} treatment record change(s) since ${since || 'start'}`;
          await tx.appendAudit({ userId: actor.id, username: actor.username, action: 'read', collection: 'treatment-records', rowId: clinical.length === 1 ? clinical[0]! : null, detail });
        }
        if (fields.length > 0) {
          const detail = `${via} of medicalHistory in ${fields.length} patient change(s) since ${since || 'start'}`;
          await tx.appendAudit({ userId: actor.id, username: actor.username, action: 'read', collection: 'patients', rowId: fields.length === 1 ? fields[0]! : null, detail });
        }
      }
    });
  }

  /**
   * The path of a live update, once, before the server takes requests: the parsers a pushed edit
   * meets (shared/sync/warmUp.ts) and, for every role, the read a poke makes from the head of the
   * log (an empty page, not shared, not audited). Else the clinic's first edit after a start
   * paid for building them (the patient update's parser alone: ~20 ms of the server's CPU).
   */
  async warmUp(): Promise<void> {
    warmUpSyncParsers();
    const since = await this.store.headCursor();
    for (const role of roles) pullAnswer(role, await this.store.pullSince({ since, limit: liveChangesMax, collections: syncedCollections(role) }));
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
