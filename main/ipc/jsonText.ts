/**
 * JSON text the main thread passes on without parsing it: a `data.list` answer (the cache thread
 * joins a collection's rows into one text) and a pulled page's `data.changed` payload (the cache
 * thread writes it in pieces). The transports send it on as it is and the window parses it, so
 * the main thread neither parses nor re-serialises rows. `T` is the contract's type the text holds
 * (the contract stays its one definition); in-process callers parse it (parseJsonText).
 *
 * A plain object, so it crosses from the cache thread as it is: structured clone copies its
 * pieces as strings, far cheaper on the receiving thread than the object graph they hold.
 */
import type { JsonPieces } from '../../shared/ipc/contract';
import { isJsonPieces } from '../../shared/ipc/contract';

declare const holds: unique symbol;

export interface JsonText<T> extends JsonPieces {
  /** Never set: it only carries T. */
  readonly [holds]?: T;
}

/**
 * A piece's size at most, in bytes of V8's string (1 per character, 2 when any character is
 * above U+00FF). Strings over 128 KiB live in V8's large-object space, allocated and collected one
 * by one on every thread that holds a copy (an earlier measurement: a 525 KiB string cost the
 * main thread 3.2 ms more than the same text in small pieces).
 */
export const maxPieceBytes = 96 * 1024;

const twoByte = /[\u0100-\uffff]/;

export function jsonText<T>(text: string): JsonText<T> {
  return { jsonPieces: [text] };
}

/**
 * `head`, then `items` (each one JSON value's text) separated by commas, then `tail`, as pieces
 * of at most maxPieceBytes; an item longer than that is a piece of its own. Pieces break only
 * between items, so each holds whole values.
 */
export function jsonListText<T>(head: string, items: readonly string[], tail: string): JsonText<T> {
  const pieces: string[] = [];
  let parts: string[] = [head];
  let chars = head.length;
  let wide = twoByte.test(head);
  const add = (text: string) => {
    const textWide = twoByte.test(text);
    if (chars > 0 && (chars + text.length) * (wide || textWide ? 2 : 1) > maxPieceBytes) {
      pieces.push(parts.join(''));
      parts = [];
      chars = 0;
      wide = false;
    }
    parts.push(text);
    chars += text.length;
    wide ||= textWide;
  };
  items.forEach((item, i) => add(i === 0 ? item : `,${item}`));
  add(tail);
  pieces.push(parts.join(''));
  return { jsonPieces: pieces };
}

/** Whether `value` is the text rather than the value itself. */
export function isJsonText<T>(value: T | JsonText<T>): value is JsonText<T> {
  return isJsonPieces(value);
}

/** The whole text, for a transport that needs one string (an invoke answer) or a caller that parses it. */
export function joinedJson(text: JsonText<unknown>): string {
  return text.jsonPieces.length === 1 ? text.jsonPieces[0]! : text.jsonPieces.join('');
}

/** The value the text holds, for in-process callers (tests, Terminal.invoke); a window parses it itself. */
export function parseJsonText<T>(text: JsonText<T>): T {
  return JSON.parse(joinedJson(text)) as T;
}
