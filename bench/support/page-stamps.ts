/**
 * What a bench page runs before the renderer loads: stamps on one clock shared by every page and
 * the bench process (epoch ms with sub-ms: performance.now() plus the wall clock's offset to it,
 * taken afresh at each arm), so a click in one window and a paint in another can be subtracted.
 *
 * - `lastClick` / `lastKey`: the input event as the page dispatches it (capture phase, before React).
 * - `arm(id, expect)`: a MutationObserver that stamps when the DOM first shows what is expected
 *   (for a row's text: when a node holding it is added, or a text changes to hold it),
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

/**
 * dom: the DOM first showed it; frame: the animation frame after that; painted: the first task
 * after that frame. received: the first WebSocket frame from the terminal that carried the armed
 * `needle` (the row reaching the page), null when nothing carried it before the DOM showed it.
 */
export type PaintStamp = { received: number | null; dom: number; frame: number; painted: number };

export interface PageStamps {
  lastClick: number;
  lastKey: number;
  /** needle: text a terminal frame carrying the change contains (stamped as `received`). */
  arm(id: string, expect: Expectation, needle?: string): void;
  result(id: string): Promise<PaintStamp>;
  scrollFrames(frames: number, step: number): Promise<number[]>;
}

/** Passed to page.addInitScript: it runs in the page, so it may use nothing from outside itself. */
export function installPageStamps(): void {
  // Epoch ms with sub-ms steps, on the wall clock as it is now: each arm takes Date.now() -
  // performance.now() afresh. performance.timeOrigin is the wall clock when the page (or the bench
  // process) started; when the VM's clock is being slewed, processes started minutes apart
  // disagree by hundreds of ms that way (a core's data.changed came out "before" the click).
  let anchor = Date.now() - performance.now();
  const now = () => anchor + performance.now();
  const armed = new Map<string, Promise<PaintStamp>>();
  /** Armed needles and when a terminal frame first carried each. */
  const needles = new Map<string, number | null>();
  const NativeSocket = WebSocket;
  // The bridge sets onmessage after construction: a listener added here runs before it.
  (globalThis as { WebSocket: typeof WebSocket }).WebSocket = class extends NativeSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (msg) => {
        if (needles.size === 0 || typeof msg.data !== 'string') return;
        const at = now();
        for (const [needle, seen] of needles) if (seen === null && msg.data.includes(needle)) needles.set(needle, at);
      });
    }
  };
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
    arm(id, expect, needle) {
      anchor = Date.now() - performance.now();
      if (needle !== undefined) needles.set(needle, null);
      armed.set(
        id,
        new Promise<PaintStamp>((resolve) => {
          const seen = () => {
            const dom = now();
            const received = needle === undefined ? null : (needles.get(needle) ?? null);
            if (needle !== undefined) needles.delete(needle);
            // Marks for a performance trace (BENCH_UI_TRACE): the span from the DOM change to the paint stamp.
            performance.mark(`uiBench dom ${id}`);
            requestAnimationFrame(() => {
              const frame = now();
              const channel = new MessageChannel();
              channel.port1.onmessage = () => {
                performance.mark(`uiBench painted ${id}`);
                resolve({ received, dom, frame, painted: now() });
              };
              channel.port2.postMessage(0);
            });
          };
          if (shows(expect)) return seen();
          // A row is text: look only at what each mutation added (a new line, or a text changed in
          // place), not at the whole screen's text per mutation, which made the page slower than
          // the app it measures (every keystroke and every row of a save scanned the register).
          const holdsRow = (records: MutationRecord[]): boolean => {
            const main = document.querySelector('main');
            if (!main) return false;
            for (const r of records) {
              if (r.type === 'characterData') {
                if (r.target.textContent?.includes(expect.value) && main.contains(r.target)) return true;
                continue;
              }
              for (const node of r.addedNodes) if (node.textContent?.includes(expect.value) && main.contains(node)) return true;
            }
            return false;
          };
          const observer = new MutationObserver((records) => {
            if (!(expect.kind === 'text' ? holdsRow(records) : shows(expect))) return;
            observer.disconnect();
            seen();
          });
          observer.observe(
            document,
            expect.kind === 'text'
              ? { subtree: true, childList: true, characterData: true }
              : { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label'] },
          );
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
