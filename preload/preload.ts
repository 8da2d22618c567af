/**
 * The preload of every Clinic Desk window: exposes `window.clinic` (the IPC contract) and nothing
 * else. Runs sandboxed; bundled by `npm run build:electron` into dist-electron/preload.cjs.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createClinicBridge } from './clinicBridge';

contextBridge.exposeInMainWorld('clinic', createClinicBridge(ipcRenderer));
