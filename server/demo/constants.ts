/** The demo clinic's fixed names, apart from its generator (clinic.ts), which loads faker. */
import type { Role } from '../../shared/domain/collections';

export const DEMO_PASSWORD = 'demo-pass-2026';
export const DEMO_ADMIN_ID = '00000000-0000-4000-8000-000000000001';
export const DEMO_SEED = 2026;

export const demoStaff: { username: string; displayName: string; role: Role }[] = [
  { username: 'dr.adams', displayName: 'Dr. Olivia Adams', role: 'doctor' },
  { username: 'dr.baker', displayName: 'Dr. Samuel Baker', role: 'doctor' },
  { username: 'dr.chen', displayName: 'Dr. Mei Chen', role: 'doctor' },
  { username: 'asst.diaz', displayName: 'Lucia Diaz', role: 'assistant' },
  { username: 'asst.evans', displayName: 'Tom Evans', role: 'assistant' },
  { username: 'desk.fischer', displayName: 'Anna Fischer', role: 'receptionist' },
  { username: 'desk.garcia', displayName: 'Marco Garcia', role: 'receptionist' },
];

