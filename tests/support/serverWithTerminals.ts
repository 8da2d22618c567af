/**
 * The head and tail of a terminal integration test: a test server, the terminals the test opens on
 * it, and their closing in the right order (terminals first) however the test ends.
 */
import { restartableTestServer, startTestServer, type TestServer, type TestServerOptions } from './server';
import { startTerminal, type StartTerminalOptions, type TestTerminal } from './terminal';
import { startSwitchableProxy } from './switchableProxy';

type RestartableServer = Awaited<ReturnType<typeof restartableTestServer>>;
type SwitchableProxy = Awaited<ReturnType<typeof startSwitchableProxy>>;

/** A test server and one terminal on it. */
export async function withServerAndTerminal(
  options: { mode: StartTerminalOptions['mode']; server?: TestServerOptions },
  run: (clinic: { server: TestServer; t: TestTerminal }) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(options.server);
  const t = await startTerminal({ serverUrl: server.url, mode: options.mode });
  try {
    await run({ server, t });
  } finally {
    await t.close();
    await server.close();
  }
}

/** A test server and one in-process terminal that reaches it through a proxy the test can cut (`net`). */
export async function withServerAndCuttableTerminal(run: (clinic: { server: TestServer; t: TestTerminal; net: SwitchableProxy }) => Promise<void>): Promise<void> {
  const server = await startTestServer();
  const net = await startSwitchableProxy(server.url);
  const t = await startTerminal({ serverUrl: net.url, mode: 'inprocess' });
  try {
    await run({ server, t, net });
  } finally {
    await t.close();
    await net.close();
    await server.close();
  }
}

/** A test server and a list the test fills with the terminals it opens (e.g. by signedInTerminals). */
export async function withServerAndTerminals(run: (server: TestServer, terminals: TestTerminal[]) => Promise<void>): Promise<void> {
  const server = await startTestServer();
  await withTerminalsOn(server, run);
}

/** As withServerAndTerminals, with a server the test can take down and bring back (outages). */
export async function withRestartableServerAndTerminals(run: (clinic: RestartableServer, terminals: TestTerminal[]) => Promise<void>): Promise<void> {
  const clinic = await restartableTestServer();
  await withTerminalsOn(clinic, run);
}

/** The terminals close before the server they talk to. */
async function withTerminalsOn<S extends { close(): Promise<unknown> }>(server: S, run: (server: S, terminals: TestTerminal[]) => Promise<void>): Promise<void> {
  const terminals: TestTerminal[] = [];
  try {
    await run(server, terminals);
  } finally {
    for (const t of terminals) await t.close();
    await server.close();
  }
}
