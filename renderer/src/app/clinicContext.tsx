/** Hands the store and its actions to every screen. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Clinic, ClinicActions, ClinicState } from '../store/clinicStore';

const ClinicContext = createContext<Clinic | null>(null);

export function ClinicProvider({ clinic, children }: { clinic: Clinic; children: ReactNode }) {
  return <ClinicContext.Provider value={clinic}>{children}</ClinicContext.Provider>;
}

function useClinicContext(): Clinic {
  const clinic = useContext(ClinicContext);
  if (!clinic) throw new Error('ClinicProvider is missing');
  return clinic;
}

export function useClinic<T>(selector: (state: ClinicState) => T): T {
  return useStore(useClinicContext().store, selector);
}

export function useActions(): ClinicActions {
  return useClinicContext().actions;
}
