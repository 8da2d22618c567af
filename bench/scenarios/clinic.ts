/**
 * A clinic for one bench scenario: a server process on a fresh data directory, its staff, and a
 * large data set written straight into its store while it is stopped (see ../support/seed.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../../shared/domain/collections';
import { ClinicHttp } from '../support/clinic-http';
import { seedStore, type SeedResult } from '../support/seed';
import { startServerProcess, type ServerProcess } from '../support/server-process';

export interface StaffMember {
  username: string;
  password: string;
  role: Role;
  id: string;
}

export interface BenchClinic {
  server: ServerProcess;
  dataDir: string;
  admin: ClinicHttp;
  staff: StaffMember[];
  seed: SeedResult;
  plan: ClinicPlan;
  /** Another server process on the same store (PostgreSQL only: two instances). */
  startSecondInstance(): Promise<ServerProcess>;
  close(): Promise<void>;
}

export interface ClinicPlan {
  patients: number;
  appointments: number;
  inventory?: number;
  referrals?: number;
  staff: { username: string; role: Role }[];
  databaseUrl?: string;
}

export async function prepareClinic(workDir: string, name: string, plan: ClinicPlan): Promise<BenchClinic> {
  const dataDir = join(workDir, name);
  mkdirSync(dataDir, { recursive: true });
  const adminPassword = `bench-${randomUUID()}`;
  const serverOptions = { dataDir, adminPassword, ...(plan.databaseUrl ? { databaseUrl: plan.databaseUrl } : {}) };

  // First start creates the admin; staff go through the API (passwords are hashed there).
  let server = await startServerProcess(serverOptions);
  let admin = await ClinicHttp.login(server.url, 'admin', adminPassword);
  const staff: StaffMember[] = [];
  for (const s of plan.staff) {
    const password = `pw-${randomUUID()}`;
    const user = await admin.createUser(s.username, s.role, password);
    staff.push({ ...s, password, id: user.id });
  }
  const doctors = staff.filter((s) => s.role === 'doctor').map((s) => s.id);
  if (doctors.length === 0) doctors.push((await admin.createUser('bench.provider', 'doctor', `pw-${randomUUID()}`)).id);
  await server.kill('SIGTERM');

  const seed = await seedStore(
    { dataDir, ...(plan.databaseUrl ? { databaseUrl: plan.databaseUrl } : {}) },
    {
      patients: plan.patients,
      appointments: plan.appointments,
      inventory: plan.inventory ?? 0,
      referrals: plan.referrals ?? 0,
      providerIds: doctors,
      seededBy: staff[0]?.id ?? 'bench',
    },
  );

  server = await startServerProcess(serverOptions);
  admin = await ClinicHttp.login(server.url, 'admin', adminPassword);
  const extra: ServerProcess[] = [];
  return {
    server,
    dataDir,
    admin,
    staff,
    seed,
    plan,
    startSecondInstance: async () => {
      const second = await startServerProcess(serverOptions);
      extra.push(second);
      return second;
    },
    close: async () => {
      for (const s of extra) await s.kill('SIGTERM');
      await server.kill('SIGTERM');
    },
  };
}
