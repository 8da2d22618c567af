/** The choices of a select, each with the words staff read and the value the row stores. */
export type Choice<T extends string> = { value: T; label: string };

export function Options<T extends string>({ options }: { options: readonly Choice<T>[] }) {
  return (
    <>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </>
  );
}
