/** A screen's main action, the button that opens its form for a new row (New recall, New invoice…). */
export function NewButton({ label, onClick, pushRight = false }: { label: string; onClick: () => void; pushRight?: boolean }) {
  return (
    <button type="button" className={pushRight ? 'primary push-right' : 'primary'} onClick={onClick}>
      {label}
    </button>
  );
}
