/**
 * Stock: quantities change by one with Increase/Decrease, or by any quantity with a stated
 * movement (received, used, expired, counted) whose reason the audit log keeps. Both are
 * commuting 'adjust' deltas, so two desks taking stock at once never lose a count; items at or
 * under their reorder level say so.
 */
import { useMemo, useState } from 'react';
import { exportCsv } from '../../export/csv';
import type { InventoryItem } from '../../../../shared/domain/collections';
import { lowStock } from '../../../../shared/domain/rules';
import { useActions, useClinic } from '../../app/clinicContext';
import { FormDialog, SaveDialog, type SaveResult } from '../../forms/SubmitForm';
import { SelectField, TextField } from '../../forms/Field';
import { DataTable } from '../../components/DataTable';
import { compareText, fold } from '../../app/format';
import { ScreenHeader } from '../../components/ScreenHeader';
import { NewButton } from '../../components/NewButton';

export function InventoryScreen() {
  const items = useClinic((s) => s.data.inventory);
  const { adjustStock } = useActions();
  const [onlyReorder, setOnlyReorder] = useState(false);
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<InventoryItem | 'new' | null>(null);
  const [moving, setMoving] = useState<InventoryItem | null>(null);

  const list = useMemo(() => {
    const words = fold(filter.trim());
    return Object.values(items)
      .filter((i) => !onlyReorder || lowStock(i))
      .filter((i) => words === '' || fold(`${i.name} ${i.sku} ${i.location}`).includes(words))
      .sort((a, b) => compareText(a.name, b.name));
  }, [items, onlyReorder, filter]);
  const reorderCount = useMemo(() => Object.values(items).filter(lowStock).length, [items]);

  return (
    <section className="screen inventory-screen">
      <ScreenHeader id="inventory-title" title="Stock">
        <input type="search" className="search narrow-search" aria-label="Find item" placeholder="Find item by name, SKU or location" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={onlyReorder} onChange={(e) => setOnlyReorder(e.target.checked)} />
          Show only items to reorder ({reorderCount})
        </label>
        <button
          type="button"
          className="push-right"
          onClick={() =>
            exportCsv(onlyReorder ? 'inventory-to-reorder.csv' : 'inventory.csv', list, [
              { header: 'Item', value: (i) => i.name },
              { header: 'SKU', value: (i) => i.sku },
              { header: 'Location', value: (i) => i.location },
              { header: 'Quantity', value: (i) => i.quantity },
              { header: 'Unit', value: (i) => i.unit },
              { header: 'Reorder at', value: (i) => i.reorderLevel },
              { header: 'State', value: (i) => (lowStock(i) ? 'Low stock' : 'OK') },
            ])
          }
        >
          Export CSV
        </button>
        <NewButton label="New item" onClick={() => setEditing('new')} />
      </ScreenHeader>
      <DataTable
        className="table inventory-table"
        wrapClass="table-wrap"
        rows={list}
        rowKey={(item) => item.id}
        rowClass={(item) => (lowStock(item) ? 'is-low' : undefined)}
        empty={onlyReorder ? 'Nothing needs reordering.' : 'No items.'}
        columns={[
          { header: 'Item', rowHeader: true, cellClass: 'item-name', cell: (item) => item.name },
          { header: 'SKU', cellClass: 'muted', cell: (item) => item.sku || '—' },
          { header: 'Location', cell: (item) => item.location || '—' },
          {
            header: 'Quantity',
            numeric: true,
            cellClass: 'quantity',
            cell: (item) => (
              <>
                <strong>{item.quantity}</strong> <span className="muted">{item.unit}</span>
              </>
            ),
          },
          { header: 'Reorder at', numeric: true, cell: (item) => item.reorderLevel },
          { header: 'State', cell: (item) => (lowStock(item) ? <span className="pill pill-low">Low stock</span> : <span className="pill pill-ok">In stock</span>) },
          {
            header: 'Adjust',
            cellClass: 'adjust',
            cell: (item) => (
              <>
                <button type="button" className="step" aria-label={`Decrease ${item.name}`} disabled={item.quantity <= 0} onClick={() => void adjustStock(item.id, { delta: -1 })}>
                  −
                </button>
                <button type="button" className="step" aria-label={`Increase ${item.name}`} onClick={() => void adjustStock(item.id, { delta: 1 })}>
                  +
                </button>
              </>
            ),
          },
          {
            header: 'Edit',
            headerHidden: true,
            cell: (item) => (
              <>
                <button type="button" className="ghost small" aria-label={`Stock movement: ${item.name}`} onClick={() => setMoving(item)}>
                  Move…
                </button>
                <button type="button" className="ghost small" aria-label={`Edit ${item.name}`} onClick={() => setEditing(item)}>
                  Edit
                </button>
              </>
            ),
          },
        ]}
      />
      {editing ? <ItemForm item={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} /> : null}
      {moving && items[moving.id] ? <StockMovementForm item={items[moving.id]!} onClose={() => setMoving(null)} /> : null}
    </section>
  );
}

const movements = [
  { value: 'received', label: 'Received' },
  { value: 'used', label: 'Used' },
  { value: 'expired', label: 'Expired (thrown away)' },
  { value: 'counted', label: 'Counted (stock take)' },
] as const;
type Movement = (typeof movements)[number]['value'];

/** Any quantity in one step; the movement and the note go along as the adjustment's reason. */
function StockMovementForm({ item, onClose }: { item: InventoryItem; onClose: () => void }) {
  const { adjustStock } = useActions();
  const [movement, setMovement] = useState<Movement>('received');
  const [quantity, setQuantity] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const edited = <T,>(setter: (v: T) => void) => (v: T) => {
    setter(v);
    setError(null);
  };

  async function save() {
    const n = /^\d+$/.test(quantity.trim()) ? Number(quantity.trim()) : NaN;
    if (!Number.isSafeInteger(n) || (movement !== 'counted' && n < 1)) return setError('Quantity: enter a whole number of at least 1.');
    if (n > 1_000_000) return setError('Quantity: at most 1,000,000 at a time.');
    const delta = movement === 'received' ? n : movement === 'counted' ? n - item.quantity : -n;
    if (delta === 0) return setError(`Quantity: the count matches the ${item.quantity} on record; nothing to change.`);
    if (item.quantity + delta < 0) return setError(`Quantity: only ${item.quantity} ${item.unit} in stock.`);
    const label = movements.find((m) => m.value === movement)!.label;
    const reason = `${label}${movement === 'counted' ? ` ${n} (was ${item.quantity})` : ` ${n}`}${note.trim() ? `: ${note.trim()}` : ''}`.slice(0, 300);
    const answer = await adjustStock(item.id, { delta, reason }, { inForm: true });
    if (!answer.ok) return setError(answer.error);
    onClose();
  }

  return (
    <FormDialog
      title={`Stock movement: ${item.name}`}
      onClose={onClose}
      size="small"
      error={error}
      onSubmit={save}
    >
      <p className="field-wide">
        In stock: <strong>{item.quantity}</strong> {item.unit}
      </p>
      <SelectField label="Movement" value={movement} onChange={edited(setMovement)} options={movements} />
      <TextField label="Quantity" value={quantity} onChange={edited(setQuantity)} autoFocus hint={movement === 'counted' ? 'How many were counted' : undefined} />
      <TextField label="Note" value={note} onChange={setNote} wide maxLength={200} hint="Kept with the movement in the audit log (for example a delivery note number)" />
    </FormDialog>
  );
}

function ItemForm({ item, onClose }: { item?: InventoryItem; onClose: () => void }) {
  const { create, update } = useActions();
  const [name, setName] = useState(item?.name ?? '');
  const [sku, setSku] = useState(item?.sku ?? '');
  const [unit, setUnit] = useState(item?.unit ?? 'unit');
  const [quantity, setQuantity] = useState(String(item?.quantity ?? 0));
  const [reorderLevel, setReorderLevel] = useState(String(item?.reorderLevel ?? 0));
  const [location, setLocation] = useState(item?.location ?? '');

  async function save(): Promise<SaveResult> {
    const qty = Number.parseInt(quantity, 10);
    const reorder = Number.parseInt(reorderLevel, 10);
    if (!name.trim()) return 'Give the item a name.';
    if (!Number.isInteger(reorder) || reorder < 0) return 'The reorder level is a whole number, 0 or more.';
    if (!item && (!Number.isInteger(qty) || qty < 0)) return 'The quantity is a whole number, 0 or more.';
    const fields = { name: name.trim(), sku, unit, reorderLevel: reorder, location };
    // The quantity of an existing item only changes through adjustments, so counts from two desks add up.
    return item ? update('inventory', item.id, fields, item) : create('inventory', { ...fields, quantity: qty });
  }

  return (
    <SaveDialog
      title={item ? `Edit ${item.name}` : 'New item'}
      onClose={onClose}
      onSave={save}
    >
      <TextField label="Name" value={name} onChange={setName} wide required maxLength={200} />
      <TextField label="SKU" value={sku} onChange={setSku} maxLength={60} />
      <TextField label="Unit" value={unit} onChange={setUnit} maxLength={30} />
      {item ? null : <TextField label="Quantity" type="number" min={0} value={quantity} onChange={setQuantity} />}
      <TextField label="Reorder level" type="number" min={0} value={reorderLevel} onChange={setReorderLevel} />
      <TextField label="Location" value={location} onChange={setLocation} maxLength={100} />
    </SaveDialog>
  );
}
