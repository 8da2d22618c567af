/**
 * What a bench page runs before the renderer loads: stamps on one clock shared by every page and
 * the bench process (epoch ms with sub-ms: performance.timeOrigin + performance.now()), so a click
 * in one window and a paint in another can be subtracted.
 *
 * - `lastClick` / `lastKey`: the input event as the page dispatches it (capture phase, before React).
 * - `arm(id, expect)`: a MutationObserver that stamps when the DOM first shows what is expected,
 *   then the frame that paints it: the next requestAnimationFrame, and the first task after that
 *   frame's rendering (a MessageChannel message), which is what `painted` reports.
 * - `scrollFrames(frames, step)`: scrolls the register by `step` px each frame and answers the
 *   frame-to-frame times, the register's own work included.
 */

export type Expectation =
  /** The main content's text contains this (a row's "Lastname, Firstname" or a phone). */
  | { kind: 'text'; value: string }
  /** The patient list's accessible name is exactly this (it names the search it shows). */
  | { kind: 'list'; value: string }
  /** The screen's heading is exactly this. */
  | { kind: 'heading'; value: string };

export type PaintStamp = { dom: number; frame: number; painted: number };

export interface PageStamps {
  lastClick: number;
  lastKey: number;
  arm(id: string, expect: Expectation): void;
  result(id: string): Promise<PaintStamp>;
  scrollFrames(frames: number, step: number): Promise<number[]>;
}

/** Passed to page.addInitScript: it runs in the page, so it may use nothing from outside itself. */
export function installPageStamps(): void {
  const now = () => performance.timeOrigin + performance.now();
  const armed = new Map<string, Promise<PaintStamp>>();
  const shows = (expect: Expectation): boolean => {
    const main = document.querySelector('main');
    if (!main) return false;
    if (expect.kind === 'text') return (main.textContent ?? '').includes(expect.value);
    if (expect.kind === 'heading') return main.querySelector('h1')?.textContent === expect.value;
    return main.querySelector(`ul[aria-label]`)?.getAttribute('aria-label') === expect.value;
  };
  const stamps: PageStamps = {
    lastClick: 0,
    lastKey: 0,
    arm(id, expect) {
      armed.set(
        id,
        new Promise<PaintStamp>((resolve) => {
          const seen = () => {
            const dom = now();
            requestAnimationFrame(() => {
              const frame = now();
              const channel = new MessageChannel();
              channel.port1.onmessage = () => resolve({ dom, frame, painted: now() });
              channel.port2.postMessage(0);
            });
          };
          if (shows(expect)) return seen();
          const observer = new MutationObserver(() => {
            if (!shows(expect)) return;
            observer.disconnect();
            seen();
          });
          observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label'] });
        }),
      );
    },
    result(id) {
      const found = armed.get(id);
      if (!found) return Promise.reject(new Error(`${id} was never armed`));
      return found.finally(() => armed.delete(id));
    },
    scrollFrames(frames, step) {
      const list = document.querySelector('main ul[aria-label]');
      const scroller = list?.parentElement;
      if (!scroller) return Promise.reject(new Error('no patient list to scroll'));
      return new Promise((resolve) => {
        const deltas: number[] = [];
        let last = performance.now();
        const tick = (at: number) => {
          deltas.push(at - last);
          last = at;
          if (deltas.length > frames) return resolve(deltas.slice(1));
          scroller.scrollTop += step;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame((at) => {
          last = at;
          scroller.scrollTop += step;
          requestAnimationFrame(tick);
        });
      });
    },
  };
  document.addEventListener('click', () => (stamps.lastClick = now()), { capture: true });
  document.addEventListener('keydown', () => (stamps.lastKey = now()), { capture: true });
  (globalThis as { uiBench?: PageStamps }).uiBench = stamps;
}
