/**
 * An answer that is already JSON text (the cache thread joins a collection's rows into one):
 * the transports send it on as it is and the window parses it, so the main thread never parses
 * and re-serialises a 100k-row list. `T` is the contract's answer the text holds (the contract
 * stays its one definition); in-process callers get it parsed (Terminal.invoke).
 */
export class JsonText<T> {
  /** Never set: it only carries T. */
  declare readonly of?: T;

  constructor(readonly text: string) {}
}
