/**
 * Entry: uses `window.clinic` from Electron's preload, or installs the headless WebSocket bridge
 * when the renderer runs in a plain browser against `npm run terminal`.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { ClinicProvider, createClinic } from './app/clinicContext';
import { clinicBridge } from './bridge/clinic';
import './styles.css';

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root') as HTMLElement);
  if (!clinicBridge()) {
    const { installHeadlessBridge, takeLaunchToken } = await import('./bridge/headless');
    const token = takeLaunchToken();
    if (!token) {
      root.render(
        <p role="alert">
          This window has no key to the terminal. Open the exact address the terminal printed when it started (it ends with #token=…).
        </p>,
      );
      return;
    }
    let refused = false;
    await installHeadlessBridge(undefined, token, () => {
      refused = true;
      root.render(
        <p role="alert">
          The terminal does not accept this window's key (it was restarted since?). Open the address it printed when it last started.
        </p>,
      );
    });
    if (refused) return;
  }
  const bridge = clinicBridge();
  if (!bridge) {
    root.render(<p role="alert">This window is not connected to a Clinic Desk terminal.</p>);
    return;
  }
  const clinic = createClinic(bridge);
  root.render(
    <StrictMode>
      <ClinicProvider clinic={clinic}>
        <App />
      </ClinicProvider>
    </StrictMode>,
  );
  await clinic.actions.start();
}

void boot();
