/**
 * The renderer's only door to the terminal: `window.clinic`, set by Electron's preload or by the
 * headless WebSocket bridge. Read it through here so no screen touches the global directly.
 */
import type { ClinicBridge } from '../../../shared/ipc/contract';

export function clinicBridge(): ClinicBridge | undefined {
  return (globalThis as { clinic?: ClinicBridge }).clinic;
}
