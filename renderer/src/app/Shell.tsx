/** The signed-in frame: navigation, sync status, the current screen, toasts and conflicts. */
import { useEffect, useState, type ReactNode } from 'react';
import { Dialog } from '../forms/Dialog';
import { isClinicalRole } from '../../../shared/domain/access';
import type { Role } from '../../../shared/domain/collections';
import { AdminScreen } from '../screens/admin/AdminScreen';
import { AppointmentsScreen } from '../screens/appointments/AppointmentsScreen';
import { BillingScreen } from '../screens/billing/BillingScreen';
import { InventoryScreen } from '../screens/inventory/InventoryScreen';
import { PatientPage } from '../screens/patients/PatientPage';
import { PatientsScreen } from '../screens/patients/PatientsScreen';
import { ReferralsScreen } from '../screens/referrals/ReferralsScreen';
import { RecallsScreen } from '../screens/recalls/RecallsScreen';
import { WaitingRoomScreen } from '../screens/waiting/WaitingRoomScreen';
import { PrintArea } from '../print/printing';
import { TreatmentScreen } from '../screens/treatment/TreatmentScreen';
import { useActions, useClinic } from './clinicContext';
import { ConflictDialog } from './ConflictDialog';
import { href, navigate, useRoute, type Route, type Screen } from './route';
import { ConnectionBanner, InitialSyncProgress, SyncStatusBar } from './SyncStatusBar';
import { Toasts } from './Toasts';
import { NeedsAttention } from '../attention/NeedsAttention';

const roleLabels: Record<Role, string> = { admin: 'Administrator', doctor: 'Doctor', assistant: 'Assistant', receptionist: 'Reception' };

/** Treatment records in the menu: the people who write them (the contract keeps admins out). */
export function navItems(role: Role): { screen: Screen; label: string }[] {
  const items: { screen: Screen; label: string }[] = [
    { screen: 'patients', label: 'Patients' },
    { screen: 'appointments', label: 'Appointments' },
    { screen: 'waiting', label: 'Waiting room' },
    { screen: 'recalls', label: 'Recalls' },
    { screen: 'billing', label: 'Billing' },
    { screen: 'inventory', label: 'Inventory' },
    { screen: 'referrals', label: 'Referrals' },
  ];
  if (role === 'doctor' || role === 'assistant') items.push({ screen: 'treatment', label: 'Treatment records' });
  if (role === 'admin') items.push({ screen: 'admin', label: 'Admin' });
  return items;
}

/** `/` or Ctrl+K from anywhere jumps to the patient search. */
function usePatientSearchShortcut() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable);
      const ctrlK = (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k';
      if (!ctrlK && !(e.key === '/' && !typing)) return;
      e.preventDefault();
      if (!window.location.hash.startsWith('#/patients') || window.location.hash.split('/').length > 2) navigate('patients');
      const focus = (tries: number) => {
        const box = document.getElementById('patient-search');
        if (box) (box as HTMLInputElement).focus();
        else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
      };
      focus(10);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** Each screen as its route shows it (some read the row id or the query). */
const screens: Record<Screen, (route: Route) => ReactNode> = {
  patients: (route) => (route.id ? <PatientPage patientId={route.id} /> : <PatientsScreen />),
  appointments: (route) => <AppointmentsScreen day={route.params.get('day')} view={route.params.get('view')} doctor={route.params.get('doctor')} />,
  waiting: () => <WaitingRoomScreen />,
  recalls: () => <RecallsScreen />,
  billing: (route) => <BillingScreen invoiceId={route.id} />,
  inventory: () => <InventoryScreen />,
  referrals: () => <ReferralsScreen />,
  treatment: (route) => <TreatmentScreen recordId={route.id} />,
  admin: () => <AdminScreen />,
};

function CurrentScreen({ role }: { role: Role }) {
  const route = useRoute();
  const allowed = navItems(role).some((i) => i.screen === route.screen);
  if (!allowed) return <PatientsScreen />;
  return screens[route.screen](route);
}

/**
 * The Sign out button, and its question while changes wait to be sent. The only part of the frame
 * that reads the pending count: each save changes it twice, and that renders this, not the frame
 * and the screen inside it.
 */
function SignOut() {
  const { signOut } = useActions();
  const pending = useClinic((s) => s.sync?.pending ?? 0);
  const [confirmSignOut, setConfirmSignOut] = useState(false);
  return (
    <>
      <button type="button" className="signout" onClick={() => (pending > 0 ? setConfirmSignOut(true) : void signOut())}>
        Sign out
      </button>
      {confirmSignOut ? (
        <Dialog title="Sign out with changes not sent?" size="small" closeLabel="Stay signed in" onClose={() => setConfirmSignOut(false)}>
          <p role="alert">
            {pending === 1 ? '1 change has' : `${pending} changes have`} not reached the clinic server yet. They stay on this terminal and are
            sent the next time you sign in here; nobody else can sign in on this terminal until then.
          </p>
          <div className="form-actions">
            <button type="button" className="primary" onClick={() => setConfirmSignOut(false)}>
              Stay signed in
            </button>
            <button
              type="button"
              onClick={() => {
                setConfirmSignOut(false);
                void signOut();
              }}
            >
              Sign out anyway
            </button>
          </div>
        </Dialog>
      ) : null}
    </>
  );
}

export function Shell() {
  const user = useClinic((s) => s.user);
  const phase = useClinic((s) => s.phase);
  const localeVersion = useClinic((s) => s.localeVersion);
  const terminalName = useClinic((s) => s.settings?.terminalName ?? '');
  const route = useRoute();
  usePatientSearchShortcut();
  if (!user) return null;
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">+</span> Clinic Desk
        </div>
        <nav aria-label="Main">
          <ul>
            {navItems(user.role).map((item) => (
              <li key={item.screen}>
                <a href={href(item.screen)} aria-current={route.screen === item.screen ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <div className="who">
            <strong>{user.displayName}</strong>
            <span>
              {roleLabels[user.role]}
              {terminalName ? ` · ${terminalName}` : ''}
            </span>
          </div>
          <SignOut />
        </div>
      </aside>
      <div className="workspace">
        <header className="topbar">
          <SyncStatusBar />
          <span className="muted shortcut-hint">Press / to find a patient</span>
        </header>
        <InitialSyncProgress />
        <ConnectionBanner />
        {phase === 'ready' ? <NeedsAttention /> : null}
        {/* Keyed by the clinic's locale, so every date and amount is written again when an admin changes it. */}
        <main className="content" key={localeVersion}>
          {phase === 'loading' ? <p className="muted loading">Opening the clinic records…</p> : <CurrentScreen role={user.role} />}
        </main>
      </div>
      <Toasts />
      <ConflictDialog />
      <PrintArea />
    </div>
  );
}

export { isClinicalRole };
