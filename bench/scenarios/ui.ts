/**
 * The whole path as a person sees it, in Debian's Chromium: N headless terminals (child
 * processes, as `npm run terminal` runs them), each with its renderer in a page of one browser.
 * One page registers patients through its form (New patient, fill, Save); every page stamps when
 * the new row is painted in its register (../support/page-stamps.ts). All stamps, the pages' and
 * the bench's own, are epoch milliseconds (performance.now() plus its offset to the wall clock,
 * taken afresh each round), so a click in one window and a paint in another subtract.
 *
 * Side by side in the same run, on the same terminals: the core-only figure (the bench calls
 * data.mutate on the writing terminal and times data.changed on the others' cores, as the
 * propagation scenario does), and, for every click, when the cores themselves emitted the row, so
 * the renderer's share of each figure shows.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { BenchClinic } from './clinic';
import { chromiumCpu, cpuBetween, rendererCpu, threadsCpu, type ChromiumCpu } from '../support/chromium-cpu';
import { patientFields } from '../support/fixtures';
import { installPageStamps, type Expectation, type PageStamps, type PaintStamp } from '../support/page-stamps';
import { distribution, waitFor, type Distribution } from '../support/stats';
import { freePort, launchBrowser, viewport } from '../../tests/support/browser';
import { startTerminal, type TerminalEvent, type TestTerminal } from '../../tests/support/terminal';

export interface UiSet {
  patients: number;
  terminals: number;
}

export interface UiSettings {
  /** Patients registered through the form per set. */
  saves: number;
  /** Patients searched for by typing their name, one keystroke at a time. */
  searches: number;
  /** Round trips Patients -> Appointments -> Patients. */
  switches: number;
  /** Frames of scrolling the register. */
  scrollFrames: number;
}

export type UiRowKind =
  | 'own screen: Save click -> row painted'
  | 'own core: Save click -> data.changed (local)'
  | 'other screens: Save click -> row painted'
  | 'other cores: Save click -> data.changed'
  | 'own page: core emitted data.changed -> page received it'
  | 'other pages: core emitted data.changed -> page received it'
  | 'own page: data.changed received -> row in the DOM'
  | 'other pages: data.changed received -> row in the DOM'
  | 'own page: row in the DOM -> painted'
  | 'other pages: row in the DOM -> painted'
  | 'core only: data.mutate -> data.changed on the other cores'
  | 'search: keystroke -> result painted'
  | 'screen switch: Patients -> Appointments painted'
  | 'screen switch: Appointments -> Patients painted'
  | 'register scroll: frame time';

export interface UiRow {
  kind: UiRowKind;
  latency: Distribution;
  missed: number;
  /** Every sample in the order it was taken (null: missed), so one slow round can be found again. */
  samples: (number | null)[];
}

export interface UiResult {
  patients: number;
  terminals: number;
  rows: UiRow[];
  setupMs: number;
  /** Chromium's CPU per save round (a form save and a core-only create), by kind of process, in ms; empty without /proc. */
  chromiumCpuPerRound: ChromiumCpu[];
  /** What one receiving page spent per row it received during the saves (ms). */
  receivingPage: PageWork;
}

/**
 * What one receiving page costs per row: `cpu`, its renderer process's CPU (all its threads, from
 * /proc; null without it); the rest, its main thread by Chromium's Performance.getMetrics, wall
 * time of its tasks (time the thread waited for a CPU counts too).
 */
export interface PageWork {
  rows: number;
  cpu: number | null;
  /** `cpu` by thread name. */
  threads: Record<string, number>;
  task: number;
  script: number;
  style: number;
  layout: number;
}

/**
 * The renderer process that runs `page`: the one whose CPU grows by a 300 ms busy loop in it (no
 * page API tells a renderer's pid); null without /proc or when no renderer stands out.
 */
async function rendererOf(page: Page): Promise<number | null> {
  const before = rendererCpu();
  await page.evaluate(() => {
    const until = performance.now() + 300;
    while (performance.now() < until);
  });
  const after = rendererCpu();
  if (!before || !after) return null;
  const grown = [...after].map(([pid, ms]) => [pid, ms - (before.get(pid) ?? ms)] as const).sort((a, b) => b[1] - a[1]);
  return grown[0] && grown[0][1] >= 200 ? grown[0][0] : null;
}

/** The page's main-thread durations so far (s), as Chromium counts them. */
async function pageWorkCounters(page: Page): Promise<{ read(): Promise<Pick<PageWork, 'task' | 'script' | 'style' | 'layout'>>; stop(): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return {
    async read() {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const of = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
      return { task: of('TaskDuration'), script: of('ScriptDuration'), style: of('RecalcStyleDuration'), layout: of('LayoutDuration') };
    },
    // The page's later parts (search, switches, scroll) run without the counters.
    stop: () => cdp.detach(),
  };
}

/**
 * Epoch ms on the wall clock as it is now, like the pages' stamps (../support/page-stamps.ts):
 * the offset of performance.now() to Date.now() is taken afresh each round (reanchor), not
 * performance.timeOrigin, which drifts from the pages' clocks while the VM's clock is slewed.
 */
let anchor = Date.now() - performance.now();
const reanchor = () => (anchor = Date.now() - performance.now());
const epochNow = () => anchor + performance.now();
const eventEpoch = (e: TerminalEvent) => anchor + e.at;
const stampTimeoutMs = 10_000;

type Desk = { terminal: TestTerminal; page: Page };

/** The page's stamps (../support/page-stamps.ts), called across the page boundary. */
function stamps(page: Page) {
  type Window = { uiBench: PageStamps };
  return {
    arm: (id: string, expect: Expectation, needle?: string) =>
      page.evaluate(([i, e, n]) => (globalThis as unknown as Window).uiBench.arm(i, e, n ?? undefined), [id, expect, needle ?? null] as const),
    /** The paint stamp, or null when it did not come within the timeout. */
    result: (id: string): Promise<PaintStamp | null> =>
      Promise.race([
        page.evaluate((i) => (globalThis as unknown as Window).uiBench.result(i), id),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), stampTimeoutMs)),
      ]),
    lastClick: () => page.evaluate(() => (globalThis as unknown as Window).uiBench.lastClick),
    lastKey: () => page.evaluate(() => (globalThis as unknown as Window).uiBench.lastKey),
    scrollFrames: (frames: number, step: number) =>
      page.evaluate(([f, st]) => (globalThis as unknown as Window).uiBench.scrollFrames(f, st), [frames, step] as const),
  };
}

/** A terminal child signed in and fully downloaded, then its renderer in a page of `browser`. */
async function openDesk(browser: Browser, clinic: BenchClinic, workDir: string, name: string, staffIndex: number): Promise<Desk> {
  const terminal = await startTerminal({ serverUrl: clinic.server.url, mode: 'child', port: await freePort(), name, dataDir: join(workDir, name) });
  const staff = clinic.staff[staffIndex % clinic.staff.length]!;
  await terminal.login(staff.username, staff.password);
  const synced = await waitFor(async () => (await terminal.call('sync.status', {})).initialSync.done, 300_000, 100);
  if (!synced) throw new Error(`${name}: first download not done within 5 minutes`);
  // The download's rows are not what this bench looks at; keep the harness's memory small.
  terminal.events.splice(0);
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // tsx names functions with a helper the page does not have: give it one.
  await page.addInitScript({ content: `var __name = (f) => f; (${installPageStamps.toString()})();` });
  await page.goto(terminal.url!);
  await page.getByRole('list', { name: 'All patients' }).waitFor({ timeout: 300_000 });
  // BENCH_UI_CSS=<css>: a style tried on every page without a build (docs/performance.md).
  if (process.env.BENCH_UI_CSS) await page.addStyleTag({ content: process.env.BENCH_UI_CSS });
  return { terminal, page };
}

/** When `terminal`'s core emitted a data.changed carrying the row `match` picks, from `since`. */
function coreStamp(terminal: TestTerminal, source: 'local' | 'remote', match: (row: Record<string, unknown>) => boolean, since: number): Promise<number | null> {
  return terminal
    .waitForEvent(
      (e) => {
        if (e.channel !== 'data.changed') return false;
        const payload = e.payload as { source: string; changes: { row?: Record<string, unknown> | null }[] };
        return payload.source === source && payload.changes.some((c) => c.row != null && match(c.row));
      },
      stampTimeoutMs,
      since,
    )
    .then(eventEpoch)
    .catch(() => null);
}

class Samples {
  private readonly byKind = new Map<UiRowKind, (number | null)[]>();
  add(kind: UiRowKind, value: number | null): void {
    const taken = this.byKind.get(kind) ?? [];
    this.byKind.set(kind, taken);
    taken.push(value === null || !Number.isFinite(value) ? null : value);
  }
  rows(): UiRow[] {
    return [...this.byKind].map(([kind, taken]) => {
      const values = taken.filter((v): v is number => v !== null);
      return { kind, latency: distribution(values), missed: taken.length - values.length, samples: taken };
    });
  }
}

async function registerThroughForm(writer: Desk, desks: Desk[], samples: Samples, n: number): Promise<void> {
  const page = writer.page;
  const firstName = `Ui${n}`;
  const lastName = `Bench${Date.now().toString(36)}`;
  const shown = `${lastName}, ${firstName}`;
  await page.getByRole('button', { name: 'New patient' }).click();
  await page.getByLabel('First name').fill(firstName);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByLabel('Date of birth').fill('1984-03-12');
  await page.getByLabel('Phone').fill(`+49 30 ${5000000 + n}`);
  const id = `save-${n}`;
  reanchor();
  await Promise.all(desks.map((d) => stamps(d.page).arm(id, { kind: 'text', value: shown }, lastName)));
  const since = desks.map((d) => d.terminal.events.length);
  const isRow = (row: Record<string, unknown>) => row.lastName === lastName && row.firstName === firstName;
  const cores = desks.map((d, i) => coreStamp(d.terminal, d === writer ? 'local' : 'remote', isRow, since[i]!));
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const painted = await Promise.all(desks.map((d) => stamps(d.page).result(id)));
  const coreTimes = await Promise.all(cores);
  const clicked = await stamps(page).lastClick();
  desks.forEach((d, i) => {
    const own = d === writer;
    const paint = painted[i];
    const core = coreTimes[i];
    samples.add(own ? 'own screen: Save click -> row painted' : 'other screens: Save click -> row painted', paint ? paint.painted - clicked : null);
    samples.add(own ? 'own core: Save click -> data.changed (local)' : 'other cores: Save click -> data.changed', core != null ? core - clicked : null);
    samples.add(
      own ? 'own page: core emitted data.changed -> page received it' : 'other pages: core emitted data.changed -> page received it',
      paint?.received != null && core != null ? paint.received - core : null,
    );
    // Where the renderer's share goes: from the page receiving the row to React putting it in the DOM, then to the frame's paint.
    samples.add(own ? 'own page: data.changed received -> row in the DOM' : 'other pages: data.changed received -> row in the DOM', paint?.received != null ? paint.dom - paint.received : null);
    samples.add(own ? 'own page: row in the DOM -> painted' : 'other pages: row in the DOM -> painted', paint ? paint.painted - paint.dom : null);
  });
  // The dialog closes on its own once saved.
  await page.getByRole('dialog').waitFor({ state: 'detached' });
}

/** The core-only figure beside it: the bench itself calls data.mutate on the writing terminal. */
async function registerThroughCore(writer: Desk, desks: Desk[], samples: Samples, n: number): Promise<void> {
  const lastName = `Core${Date.now().toString(36)}`;
  const fields = { ...patientFields(n), id: globalThis.crypto.randomUUID(), firstName: `Core${n}`, lastName };
  const others = desks.filter((d) => d !== writer);
  reanchor();
  const waits = others.map((d) => coreStamp(d.terminal, 'remote', (row) => row.lastName === lastName, d.terminal.events.length));
  const sent = epochNow();
  await writer.terminal.call('data.mutate', { op: 'create', collection: 'patients', data: fields });
  for (const at of await Promise.all(waits)) samples.add('core only: data.mutate -> data.changed on the other cores', at === null ? null : at - sent);
}

/** Types a patient's "Lastname Firstname" one key at a time; each key until its results are painted. */
async function searchAsYouType(desk: Desk, samples: Samples, patientIndex: number, n: number): Promise<void> {
  const page = desk.page;
  const { firstName, lastName } = patientFields(patientIndex) as { firstName: string; lastName: string };
  const search = page.getByLabel('Search patients');
  await search.click();
  const typed = `${lastName} ${firstName}`;
  for (let k = 0; k < typed.length; k++) {
    if (typed[k] === ' ') {
      // A trailing space searches the same words as without it: nothing new to paint.
      await page.keyboard.press('Space');
      continue;
    }
    const query = typed.slice(0, k + 1);
    const expect: Expectation = { kind: 'list', value: `Patients matching ${query}` };
    const id = `search-${n}-${k}`;
    await stamps(page).arm(id, expect);
    await page.keyboard.press(typed[k]!);
    const painted = await stamps(page).result(id);
    const key = await stamps(page).lastKey();
    samples.add('search: keystroke -> result painted', painted ? painted.painted - key : null);
  }
  const id = `search-${n}-clear`;
  await stamps(page).arm(id, { kind: 'list', value: 'All patients' });
  await search.fill('');
  await stamps(page).result(id);
}

async function switchScreens(desk: Desk, samples: Samples, n: number): Promise<void> {
  const page = desk.page;
  const nav = page.getByRole('navigation');
  const legs: [link: string, expect: Expectation, kind: UiRowKind][] = [
    ['Appointments', { kind: 'heading', value: 'Day book' }, 'screen switch: Patients -> Appointments painted'],
    ['Patients', { kind: 'list', value: 'All patients' }, 'screen switch: Appointments -> Patients painted'],
  ];
  for (const [link, expect, kind] of legs) {
    const id = `switch-${n}-${link}`;
    await stamps(page).arm(id, expect);
    await nav.getByRole('link', { name: link, exact: true }).click();
    const painted = await stamps(page).result(id);
    const clicked = await stamps(page).lastClick();
    samples.add(kind, painted ? painted.painted - clicked : null);
  }
}

/**
 * BENCH_UI_PROFILE=<dir>: Chromium CPU profiles (.cpuprofile, open in DevTools) of the writing
 * page and one other page, one file per part of the run: where the renderer's time goes.
 */
async function profiled(writer: Page, other: Page, prefix: string): Promise<{ cut(part: string): Promise<void> }> {
  const dir = process.env.BENCH_UI_PROFILE;
  if (!dir) return { cut: async () => {} };
  mkdirSync(dir, { recursive: true });
  const sessions = await Promise.all(
    [['writer', writer], ['other', other]].map(async ([name, page]) => {
      const cdp = await (page as Page).context().newCDPSession(page as Page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      return { name: name as string, cdp };
    }),
  );
  return {
    async cut(part) {
      for (const { name, cdp } of sessions) {
        const { profile } = await cdp.send('Profiler.stop');
        writeFileSync(join(dir, `${prefix}-${part}-${name}.cpuprofile`), JSON.stringify(profile));
        await cdp.send('Profiler.start');
      }
    },
  };
}

export async function measureUi(clinic: BenchClinic, workDir: string, set: UiSet, settings: UiSettings, progress: (line: string) => void): Promise<UiResult> {
  // The headless terminals serve renderer/dist: without it every page is blank and the set fails far from the cause.
  const builtRenderer = join(import.meta.dirname, '..', '..', 'renderer', 'dist', 'index.html');
  if (!existsSync(builtRenderer)) throw new Error('the renderer is not built: run `npm run build:renderer` first');
  const setupStarted = performance.now();
  const browser = await launchBrowser();
  const desks: Desk[] = [];
  const prefix = `ui-${set.patients}x${set.terminals}`;
  try {
    for (let i = 0; i < set.terminals; i++) desks.push(await openDesk(browser, clinic, workDir, `${prefix}-${i}`, i));
    const setupMs = performance.now() - setupStarted;
    progress(`${prefix}: ${set.terminals} terminals and pages ready in ${(setupMs / 1000).toFixed(1)} s`);
    const samples = new Samples();
    const writer = desks[0]!;
    const profiles = await profiled(writer.page, desks[1]!.page, prefix);
    const traceDir = process.env.BENCH_UI_TRACE;
    // BENCH_UI_TRACE=<dir>: a Chromium performance trace of the writing page's saves (DevTools' Performance panel opens it).
    if (traceDir) {
      mkdirSync(traceDir, { recursive: true });
      await browser.startTracing(writer.page, { path: join(traceDir, `${prefix}-saves-writer.json`), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing'] });
    }
    const chromiumCpuPerRound: ChromiumCpu[] = [];
    const receivingCounters = await pageWorkCounters(desks[1]!.page);
    const receivingPid = await rendererOf(desks[1]!.page);
    const receivingBefore = await receivingCounters.read();
    const renderersBefore = rendererCpu();
    const threadsBefore = receivingPid !== null ? threadsCpu(receivingPid) : null;
    for (let n = 0; n < settings.saves; n++) {
      const before = chromiumCpu();
      await registerThroughForm(writer, desks, samples, n);
      await registerThroughCore(writer, desks, samples, n);
      const after = chromiumCpu();
      if (before && after) {
        const round = cpuBetween(before, after);
        chromiumCpuPerRound.push(round);
        progress(`${prefix} save ${n + 1}: Chromium CPU renderer ${round.renderer} ms, GPU ${round.gpu} ms, browser ${round.browser} ms, other ${round.other} ms`);
      }
    }
    const receivingAfter = await receivingCounters.read();
    await receivingCounters.stop();
    const renderersAfter = rendererCpu();
    const threadsAfter = receivingPid !== null ? threadsCpu(receivingPid) : null;
    // Two rows a round reach every other page: the form's and the core-only one.
    const rowsReceived = settings.saves * 2;
    const perRow = (ms: number) => Math.round((ms / rowsReceived) * 100) / 100;
    const receivingCpu = receivingPid !== null && renderersBefore && renderersAfter ? (renderersAfter.get(receivingPid) ?? NaN) - (renderersBefore.get(receivingPid) ?? NaN) : NaN;
    const receivingPage: PageWork = {
      rows: rowsReceived,
      cpu: Number.isFinite(receivingCpu) ? perRow(receivingCpu) : null,
      // The threads that did any of it: the main thread (named after the program), Compositor, the raster and V8 helpers (ThreadPoolForeg...).
      threads: Object.fromEntries(
        [...(threadsAfter ?? [])].map(([name, ms]) => [name, perRow(ms - (threadsBefore?.get(name) ?? ms))] as const).filter(([, ms]) => ms > 0),
      ),
      task: perRow(receivingAfter.task - receivingBefore.task),
      script: perRow(receivingAfter.script - receivingBefore.script),
      style: perRow(receivingAfter.style - receivingBefore.style),
      layout: perRow(receivingAfter.layout - receivingBefore.layout),
    };
    if (traceDir) await browser.stopTracing();
    await profiles.cut('saves');
    for (let n = 0; n < settings.searches; n++) await searchAsYouType(writer, samples, (n * 7919 + 17) % clinic.seed.patientIds.length, n);
    await profiles.cut('search');
    for (let n = 0; n < settings.switches; n++) await switchScreens(writer, samples, n);
    await profiles.cut('switches');
    const frames = await stamps(writer.page).scrollFrames(settings.scrollFrames, 400);
    for (const f of frames) samples.add('register scroll: frame time', f);
    await profiles.cut('scroll');
    return { patients: set.patients, terminals: set.terminals, rows: samples.rows(), setupMs, chromiumCpuPerRound, receivingPage };
  } finally {
    await browser.close().catch(() => {});
    for (const d of desks) await d.terminal.close().catch(() => {});
  }
}
