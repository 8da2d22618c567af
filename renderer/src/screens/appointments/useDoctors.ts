import { useMemo } from 'react';
import type { User } from '../../../../shared/domain/collections';
import { useClinic } from '../../app/clinicContext';

/** Active doctors from the synced staff directory, by name: the day book's columns. */
export function useDoctors(): User[] {
  const users = useClinic((s) => s.data.users);
  return useMemo(
    () => Object.values(users).filter((u) => u.role === 'doctor' && u.active !== false).sort((a, b) => a.displayName.localeCompare(b.displayName)),
    [users],
  );
}
