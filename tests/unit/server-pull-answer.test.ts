import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pullResponse } from '../../shared/sync/protocol';
import { pullAnswer } from '../../server/sync/pullAnswer';
import type { PullPage } from '../../server/store/types';

const at = '2026-11-25T10:00:00.000Z';
const by = '00000000-0000-4000-8000-000000000001';
const patient = {
  id: '00000000-0000-4000-8000-0000000000a1',
  version: 3,
  updatedAt: at,
  updatedBy: by,
  firstName: 'Zoë "Z"',
  lastName: 'Müller\\Nord',
  medicalHistory: 'asthma',
  notes: 'line one\nline two',
};
const user = { id: by, version: 1, updatedAt: at, updatedBy: by, username: 'dr.a', displayName: 'Dr A', role: 'doctor', active: true, lastSignIn: at };
const record = { id: '00000000-0000-4000-8000-0000000000c1', version: 2, updatedAt: at, updatedBy: by, patientId: patient.id, note: 'ok' };

function page(total?: number): PullPage {
  const p: PullPage = {
    changes: [
      { collection: 'patients', id: patient.id, op: 'upsert', version: 3, rowJson: JSON.stringify(patient) },
      { collection: 'users', id: user.id, op: 'upsert', version: 1, rowJson: JSON.stringify(user) },
      { collection: 'treatment-records', id: record.id, op: 'upsert', version: 2, rowJson: JSON.stringify(record) },
      { collection: 'appointments', id: '00000000-0000-4000-8000-0000000000b1', op: 'delete', version: 4 },
    ],
    cursor: '42',
    hasMore: true,
  };
  if (total !== undefined) p.total = total;
  return p;
}

test('a doctor receives patient and record rows exactly as stored, user rows with their public fields only', () => {
  const answer = pullAnswer('doctor', page(10));
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  assert.deepEqual(body, {
    changes: [
      { collection: 'patients', id: patient.id, op: 'upsert', version: 3, row: patient },
      { collection: 'users', id: user.id, op: 'upsert', version: 1, row: { id: by, version: 1, updatedAt: at, updatedBy: by, username: 'dr.a', displayName: 'Dr A', role: 'doctor', active: true } },
      { collection: 'treatment-records', id: record.id, op: 'upsert', version: 2, row: record },
      { collection: 'appointments', id: '00000000-0000-4000-8000-0000000000b1', op: 'delete', version: 4 },
    ],
    cursor: '42',
    hasMore: true,
    total: 10,
  });
  assert.ok(pullResponse.safeParse(body).success, 'the text is a valid pull answer');
  assert.deepEqual(answer.clinicalIds, [record.id]);
});

test('the front desk never receives a clinical field, and no total unless the store gave one', () => {
  const answer = pullAnswer('receptionist', page());
  const body = JSON.parse(answer.body) as { changes: { row?: Record<string, unknown> }[]; total?: number };
  const { medicalHistory: _hidden, ...visible } = patient;
  assert.deepEqual(body.changes[0]!.row, visible);
  assert.ok(!answer.body.includes('asthma'));
  assert.equal('total' in body, false);
});
