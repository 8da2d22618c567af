/**
 * Which rows of a long list of fixed-height rows are in view, plus a margin on either side. Rows
 * all being one height, it is arithmetic on the scroll box's offset and height: a register of
 * 100,000 patients costs what one of 30 does, and a change to the list costs nothing here (a
 * general virtualizer measures every row again whenever the count changes).
 */
import { useLayoutEffect, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';

/** Rows [first, last) of the list are rendered; the list is `totalHeight` px tall. */
export type RowWindow = { first: number; last: number; totalHeight: number };

/** Rows [start, end) of a list of any length that a scroll box shows at `scrollTop`, with `margin` rows either side. */
export type Span = { start: number; end: number };

export function spanInView(scrollTop: number, viewHeight: number, rowHeight: number, margin: number): Span {
  const top = Math.max(0, scrollTop);
  return {
    start: Math.max(0, Math.floor(top / rowHeight) - margin),
    end: Math.ceil((top + viewHeight) / rowHeight) + margin,
  };
}

/** The rows of a span that a list of `count` rows has. */
export function windowOf(span: Span, count: number, rowHeight: number): RowWindow {
  const last = Math.min(span.end, count);
  return { first: Math.min(span.start, last), last, totalHeight: count * rowHeight };
}

export function useRowWindow(scrollRef: RefObject<HTMLElement | null>, count: number, rowHeight: number, margin: number): RowWindow {
  // Before the box is measured: enough rows for a tall window, so the first paint is not empty.
  const [span, setSpan] = useState<Span>({ start: 0, end: 40 + margin });
  useLayoutEffect(() => {
    const box = scrollRef.current;
    if (!box) return;
    const update = (sync: boolean) => {
      const next = spanInView(box.scrollTop, box.clientHeight, rowHeight, margin);
      const apply = () => setSpan((was) => (was.start === next.start && was.end === next.end ? was : next));
      // While scrolling, the rows coming into view are rendered before this frame is painted.
      if (sync) flushSync(apply);
      else apply();
    };
    const onScroll = () => update(true);
    update(false);
    box.addEventListener('scroll', onScroll, { passive: true });
    const resized = new ResizeObserver(() => update(false));
    resized.observe(box);
    return () => {
      box.removeEventListener('scroll', onScroll);
      resized.disconnect();
    };
  }, [scrollRef, rowHeight, margin]);
  return windowOf(span, count, rowHeight);
}
