import { useClinic } from './clinicContext';
import { Shell } from './Shell';
import { SignIn } from './SignIn';

export function App() {
  const phase = useClinic((s) => s.phase);
  if (phase === 'starting') return <p className="muted loading">Starting Clinic Desk…</p>;
  if (phase === 'signed-out') return <SignIn />;
  return <Shell />;
}
