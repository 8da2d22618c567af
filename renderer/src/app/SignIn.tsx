import { useState } from 'react';
import { useActions, useClinic } from './clinicContext';

export function SignIn() {
  const { signIn } = useActions();
  const error = useClinic((s) => s.signInError);
  const terminalName = useClinic((s) => s.settings?.terminalName ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);

  return (
    <main className="signin">
      <form
        className="signin-card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          const ok = await signIn(username.trim(), password);
          setBusy(false);
          if (!ok) setPassword('');
        }}
      >
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">+</span> Clinic Desk
        </div>
        {terminalName ? <p className="muted">Terminal: {terminalName}</p> : null}
        <h1>Sign in</h1>
        {error ? (
          <div role="alert" className="form-error">
            {error}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="signin-username">Username</label>
          <input id="signin-username" value={username} autoFocus autoComplete="username" required onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="signin-password">Password</label>
          <input id="signin-password" type="password" value={password} autoComplete="current-password" required onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
