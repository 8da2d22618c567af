/** Hash routes (#/patients/<id>): work from file:// in Electron and from the headless terminal alike. */
import { useSyncExternalStore } from 'react';

export type Screen = 'patients' | 'appointments' | 'waiting' | 'recalls' | 'billing' | 'inventory' | 'referrals' | 'treatment' | 'admin';
export type Route = { screen: Screen; id: string | null; params: URLSearchParams };

const screens: Screen[] = ['patients', 'appointments', 'waiting', 'recalls', 'billing', 'inventory', 'referrals', 'treatment', 'admin'];

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [first, second] = path.split('/');
  const screen = screens.includes(first as Screen) ? (first as Screen) : 'patients';
  return { screen, id: second ? decodeURIComponent(second) : null, params: new URLSearchParams(query) };
}

export function href(screen: Screen, id?: string | null, params?: Record<string, string>): string {
  const query = params ? `?${new URLSearchParams(params).toString()}` : '';
  return `#/${screen}${id ? `/${encodeURIComponent(id)}` : ''}${query}`;
}

export function navigate(screen: Screen, id?: string | null, params?: Record<string, string>): void {
  window.location.hash = href(screen, id, params);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
