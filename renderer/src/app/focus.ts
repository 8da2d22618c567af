/** Moves focus to an opened record's heading, so keyboard and screen-reader users land on what they opened. */
import { useEffect, useRef } from 'react';

export function useHeadingFocus<T extends HTMLElement>(recordKey: string | null | undefined) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (!recordKey) return;
    const heading = ref.current;
    // Not while someone is typing in a field (a search box that opened it keeps its place on the next render).
    if (heading && !heading.contains(document.activeElement)) heading.focus({ preventScroll: false });
  }, [recordKey]);
  return ref;
}
