/**
 * A date box for toolbars (named by aria-label): the clinic's format, never the browser's. A
 * complete date applies as it is typed, like a native date input; an incomplete one is put back
 * when the box loses focus.
 */
import { useEffect, useState } from 'react';
import { datePattern, formatDate, parseDate } from '../app/format';

export function DateBox({ label, value, onChange }: { label: string; value: string; onChange: (isoDay: string) => void }) {
  const [text, setText] = useState(formatDate(value));
  useEffect(() => setText(formatDate(value)), [value]);
  const apply = () => {
    const day = parseDate(text);
    if (day && day !== value) onChange(day);
    else if (!day) setText(formatDate(value));
  };
  return (
    <input
      type="text"
      aria-label={label}
      className="date-box"
      size={11}
      placeholder={datePattern()}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const day = parseDate(e.target.value);
        if (day && day !== value) onChange(day);
      }}
      onBlur={apply}
      onKeyDown={(e) => {
        if (e.key === 'Enter') apply();
      }}
    />
  );
}
