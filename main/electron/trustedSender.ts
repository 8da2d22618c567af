/**
 * Which frames may talk to main. Our windows load the renderer from the privileged `app://clinic`
 * origin (see rendererProtocol.ts); any other page (a navigation we failed to block, an injected
 * iframe, a devtools extension) is refused before the core sees its request. Plain Node.
 */
export const appScheme = 'app';
export const appHost = 'clinic';
export const appOrigin = `${appScheme}://${appHost}`;
export const rendererEntryUrl = `${appOrigin}/index.html`;

export type FrameFacts = {
  /** The frame's URL, '' when it has none. */
  url: string;
  /** True for the window's top frame: iframes never get the bridge's powers. */
  isTopFrame: boolean;
  /** True when the sending webContents belongs to one of our BrowserWindows. */
  fromOurWindow: boolean;
};

/** Compares scheme and host: Node's URL gives custom schemes the origin "null", so origins cannot be compared. */
export function isAppUrl(candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return url.protocol === `${appScheme}:` && url.host === appHost;
}

export function isTrustedFrame(frame: FrameFacts): boolean {
  return frame.fromOurWindow && frame.isTopFrame && isAppUrl(frame.url);
}
