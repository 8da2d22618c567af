/** Admin: staff accounts and roles, this terminal's settings, and the server's audit log. */
import { AppointmentTypes } from './AppointmentTypes';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { roles, type Role, type User } from '../../../../shared/domain/collections';
import type { UpdatePhase, UpdateStatus } from '../../../../shared/ipc/contract';
import type { AuditEntry, ServerInfo } from '../../../../shared/sync/protocol';
import { useActions, useClinic } from '../../app/clinicContext';
import { shortDateTime } from '../../app/format';
import { SaveDialog, SubmitForm } from '../../forms/SubmitForm';
import { DataTable } from '../../components/DataTable';
import { SelectField, TextField } from '../../forms/Field';
import { Options } from '../../forms/Options';
import { ScreenHeader } from '../../components/ScreenHeader';
import { ClinicSettingsCard } from './ClinicSettingsCard';
import { NewButton } from '../../components/NewButton';

const roleOptions = roles.map((r) => ({ value: r, label: r.charAt(0).toUpperCase() + r.slice(1) }));

export function AdminScreen() {
  return (
    <section className="screen admin-screen">
      <ScreenHeader id="admin-title" title="Administration" />
      <div className="admin-grid">
        <StaffAccounts />
        <ClinicSettingsCard />
        <AppointmentTypes />
        <TerminalSettingsCard />
        <AuditLog />
      </div>
    </section>
  );
}

function StaffAccounts() {
  const users = useClinic((s) => s.data.users);
  const me = useClinic((s) => s.user);
  const { call, toast } = useActions();
  const [creating, setCreating] = useState(false);
  const list = useMemo(() => Object.values(users).sort((a, b) => a.displayName.localeCompare(b.displayName)), [users]);

  async function change(u: User, patch: { role?: Role; active?: boolean }) {
    const answer = await call('admin.updateUser', { id: u.id, baseVersion: u.version, ...patch });
    if (answer.ok) toast('success', `${u.displayName} updated`);
    else toast('error', `Not saved: ${answer.error}`);
  }

  return (
    <div className="card card-wide">
      <div className="card-head">
        <h2>Staff accounts</h2>
        <NewButton label="New user" onClick={() => setCreating(true)} />
      </div>
      <DataTable
        className="table compact"
        rows={list}
        rowKey={(u) => u.id}
        rowClass={(u) => (u.active === false ? 'is-inactive' : undefined)}
        columns={[
          { header: 'Name', cell: (u) => u.displayName },
          { header: 'Username', cellClass: 'mono', cell: (u) => u.username },
          {
            header: 'Role',
            cell: (u) => (
              <select aria-label={`Permissions of ${u.displayName}`} value={u.role} disabled={u.id === me?.id} onChange={(e) => void change(u, { role: e.target.value as Role })}>
                <Options options={roleOptions} />
              </select>
            ),
          },
          {
            header: 'Account',
            cell: (u) =>
              u.id === me?.id ? (
                <span className="muted">You</span>
              ) : (
                <button type="button" className="small" onClick={() => void change(u, { active: u.active === false })}>
                  {u.active === false ? `Reactivate ${u.displayName}` : `Deactivate ${u.displayName}`}
                </button>
              ),
          },
        ]}
      />
      {creating ? <NewUserForm onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

function NewUserForm({ onClose }: { onClose: () => void }) {
  const { call, toast } = useActions();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('receptionist');
  const [password, setPassword] = useState('');
  return (
    <SaveDialog
      title="New user"
      onClose={onClose}
      onSave={async () => {
        if (password.length < 8) return 'The password needs at least 8 characters.';
        const answer = await call('admin.createUser', { username: username.trim(), displayName: displayName.trim(), role, password });
        if (answer.ok) toast('success', `${answer.value.displayName} can now sign in as ${answer.value.username}`);
        return answer;
      }}
    >
      <TextField label="Username" value={username} onChange={setUsername} required maxLength={60} hint="Letters, digits, dot, dash or underscore" />
      <TextField label="Display name" value={displayName} onChange={setDisplayName} required maxLength={100} />
      <SelectField label="Role" value={role} onChange={setRole} options={roleOptions} />
      <TextField label="Initial password" type="password" value={password} onChange={setPassword} required autoComplete="new-password" hint="At least 8 characters" />
    </SaveDialog>
  );
}

function TerminalSettingsCard() {
  const { call, toast } = useActions();
  const [serverUrl, setServerUrl] = useState('');
  const [terminalName, setTerminalName] = useState('');
  const [offlineDays, setOfflineDays] = useState('7');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void call('settings.get', {}).then((answer) => {
      if (answer.ok) {
        setServerUrl(answer.value.serverUrl);
        setTerminalName(answer.value.terminalName);
        setOfflineDays(String(answer.value.offlineSignInDays));
      } else setError(answer.error);
    });
  }, [call]);
  return (
    <div className="card">
      <h2>This terminal</h2>
      <SubmitForm
        className="form-grid one-col"
        error={error}
        label="Apply settings"
        primary={false}
        wide={false}
        onSubmit={async () => {
          setError(null);
          const days = Number(offlineDays);
          if (!Number.isInteger(days) || days < 0 || days > 90) return setError('Offline sign-in (days) must be a whole number from 0 to 90');
          const answer = await call('settings.set', { serverUrl: serverUrl.trim(), terminalName: terminalName.trim(), offlineSignInDays: days });
          if (!answer.ok) return setError(answer.error);
          toast('success', 'Terminal settings saved');
        }}
      >
        <TextField label="Server URL" type="url" value={serverUrl} onChange={setServerUrl} required hint="For example http://clinic-server:4780" />
        <TextField label="Terminal name" value={terminalName} onChange={setTerminalName} required maxLength={100} />
        <TextField
          label="Offline sign-in (days)"
          type="number"
          min={0}
          value={offlineDays}
          onChange={setOfflineDays}
          required
          hint="How long after an online sign-in here a user may sign in while the server is down (0: never). A new server URL signs everyone out."
        />
      </SubmitForm>
      <ServerCertificate />
      <UpdateState />
    </div>
  );
}

/** The server's certificate fingerprint (what terminals pin) beside the one this terminal trusts. */
function ServerCertificate() {
  const { call } = useActions();
  const [server, setServer] = useState<ServerInfo | null>(null);
  const [pinned, setPinned] = useState<string | null>(null);
  useEffect(() => {
    void call('admin.serverInfo', {}).then((answer) => {
      if (answer.ok) setServer(answer.value);
    });
    void call('settings.get', {}).then((answer) => {
      if (answer.ok) setPinned(answer.value.serverFingerprint ?? null);
    });
  }, [call]);
  if (!server) return null;
  return (
    <dl className="update-state" aria-label="Server certificate">
      <dt>Connection</dt>
      <dd>{server.transport === 'https' ? 'Encrypted (TLS)' : 'Not encrypted (plain http)'}</dd>
      {server.certificateFingerprint ? (
        <>
          <dt>Server certificate SHA-256</dt>
          <dd className="fingerprint" data-testid="server-fingerprint">{server.certificateFingerprint}</dd>
          <dt>Trusted by this terminal</dt>
          <dd>{pinned === server.certificateFingerprint ? 'Yes (pinned)' : pinned ? `No: pinned to ${pinned}` : 'Not pinned yet'}</dd>
        </>
      ) : null}
    </dl>
  );
}

const updatePhaseText: Record<UpdatePhase, string> = {
  unavailable: 'Not available',
  idle: 'Waiting for the first check',
  checking: 'Checking the clinic server',
  'up-to-date': 'Up to date',
  available: 'A newer version is published',
  downloading: 'Downloading',
  ready: 'Ready: installs when Clinic Desk is next closed',
  error: 'Check failed',
};

/** Software updates of this terminal; checks happen every few hours, so a slow poll is enough. */
function UpdateState() {
  const { call } = useActions();
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  useEffect(() => {
    const read = () =>
      void call('app.updateStatus', {}).then((answer) => {
        if (answer.ok) setStatus(answer.value);
      });
    read();
    const timer = setInterval(read, 5000);
    return () => clearInterval(timer);
  }, [call]);
  if (!status) return null;
  const progress = status.phase === 'downloading' && status.percent !== null ? ` ${Math.round(status.percent)}%` : '';
  return (
    <dl className="update-state" aria-label="Software updates">
      <dt>Version</dt>
      <dd>{status.currentVersion}</dd>
      <dt>Updates</dt>
      <dd>
        {updatePhaseText[status.phase]}
        {progress}
        {status.availableVersion && status.availableVersion !== status.currentVersion ? ` (version ${status.availableVersion})` : ''}
        {status.message ? <span className="muted"> — {status.message}</span> : null}
        {status.checkedAt ? <span className="muted"> Last checked {shortDateTime(status.checkedAt)}.</span> : null}
      </dd>
    </dl>
  );
}

function AuditLog() {
  const { call } = useActions();
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const answer = await call('admin.audit', { limit: 200 });
    if (answer.ok) {
      setEntries(answer.value);
      setError(null);
    } else setError(answer.error);
  }, [call]);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="card card-wide">
      <div className="card-head">
        <h2>Audit log</h2>
        <button type="button" className="small" onClick={() => void load()}>
          Reload audit log
        </button>
      </div>
      {error ? <p className="form-error">The audit log needs the server: {error}</p> : null}
      {entries ? (
        <DataTable
          className="table compact"
          wrapClass="table-wrap audit"
          rows={entries}
          rowKey={(e) => e.seq}
          empty="No entries yet."
          emptyMode="instead"
          emptyClass="muted"
          columns={[
            { header: 'When', cell: (e) => shortDateTime(e.at) },
            { header: 'Who', cell: (e) => e.username ?? '—' },
            { header: 'Action', cell: (e) => e.action },
            { header: 'Record', cellClass: 'mono', cell: (e) => `${e.collection ?? ''} ${e.rowId ? e.rowId.slice(0, 8) : ''}` },
            { header: 'Detail', cellClass: 'clip', cell: (e) => e.detail ?? '' },
          ]}
        />
      ) : null}
    </div>
  );
}
