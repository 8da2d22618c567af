/**
 * The shared table, list, toggle and form-dialog components keep the markup the screens had and
 * screen readers rely on: column and row headers, spoken-only headers, empty-list words, pressed
 * toggles, and a dialog whose form announces why it was not saved.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderToStaticMarkup } from 'react-dom/server';
import { DataTable } from '../../renderer/src/components/DataTable';
import { RowList } from '../../renderer/src/components/RowList';
import { ToggleGroup } from '../../renderer/src/components/ToggleGroup';
import { FormDialog } from '../../renderer/src/forms/SubmitForm';

type Item = { id: string; name: string; quantity: number };
const items: Item[] = [
  { id: 'a', name: 'Gloves', quantity: 3 },
  { id: 'b', name: 'Masks', quantity: 0 },
];

const table = (rows: Item[], extra: Partial<Parameters<typeof DataTable<Item>>[0]> = {}) =>
  renderToStaticMarkup(
    <DataTable
      className="table"
      rows={rows}
      rowKey={(i) => i.id}
      empty="No items."
      columns={[
        { header: 'Item', rowHeader: true, cell: (i) => i.name },
        { header: 'Quantity', numeric: true, cellClass: (i) => (i.quantity === 0 ? 'strong' : undefined), cell: (i) => i.quantity },
        false,
        { header: 'Edit', headerHidden: true, cell: (i) => <button type="button">Edit {i.name}</button> },
      ]}
      {...extra}
    />,
  );

test('a table names its columns and rows, right-aligns numbers and speaks an actions header', () => {
  const html = table(items);
  assert.match(html, /<th scope="col">Item<\/th><th scope="col" class="num">Quantity<\/th><th scope="col"><span class="sr-only">Edit<\/span><\/th>/);
  assert.match(html, /<th scope="row">Gloves<\/th><td class="num">3<\/td>/);
  assert.match(html, /<th scope="row">Masks<\/th><td class="num strong">0<\/td>/);
  assert.equal((html.match(/<tr/g) ?? []).length, 3, 'a header row and one row per item; the dropped column leaves no cell');
  assert.doesNotMatch(html, /No items\./);
});

test('an empty table keeps its headers and says so below, or says so instead', () => {
  const below = table([], { wrapClass: 'table-wrap' });
  assert.match(below, /^<div class="table-wrap"><table class="table"><thead>.*<\/table><p class="empty">No items\.<\/p><\/div>$/);
  const instead = table([], { emptyMode: 'instead', emptyClass: 'muted' });
  assert.equal(instead, '<p class="muted">No items.</p>');
});

test('a clickable row says so by its class and keeps its own', () => {
  const html = table(items, { rowClass: (i) => (i.id === 'a' ? 'is-selected' : undefined), onRowClick: () => {} });
  assert.match(html, /<tr class="is-selected clickable"><th scope="row">Gloves/);
  assert.match(html, /<tr class="clickable"><th scope="row">Masks/);
});

test('a row list shows its rows, or the words for none', () => {
  const list = (rows: Item[]) => renderToStaticMarkup(<RowList rows={rows} rowKey={(i) => i.id} empty="No payments yet.">{(i) => i.name}</RowList>);
  assert.equal(list(items), '<ul class="plain-list"><li>Gloves</li><li>Masks</li></ul>');
  assert.equal(list([]), '<p class="muted">No payments yet.</p>');
});

test('a toggle group is one named group with the chosen button pressed', () => {
  const html = renderToStaticMarkup(
    <ToggleGroup label="View" value="week" onChange={() => {}} options={[{ value: 'day', label: 'Day' }, { value: 'week', label: 'Week' }]} />,
  );
  assert.equal(html, '<div class="segmented" role="group" aria-label="View"><button type="button" aria-pressed="false">Day</button><button type="button" aria-pressed="true">Week</button></div>');
});

test('a form dialog is named by its title, announces a refusal and submits with Save', () => {
  const dialog = (error: string | null) =>
    renderToStaticMarkup(
      <FormDialog title="New recall" onClose={() => {}} size="small" error={error} note="Enter saves" onSubmit={() => {}}>
        <input aria-label="Reason" />
      </FormDialog>,
    );
  const refused = dialog('Patient: choose the patient from the list.');
  const titleId = /<h2 id="([^"]+)">New recall<\/h2>/.exec(refused)?.[1];
  assert.ok(titleId, 'the title is a heading');
  assert.match(refused, new RegExp(`role="dialog" aria-labelledby="${titleId}"`));
  assert.match(refused, /<button type="button" class="ghost">Cancel<\/button>/);
  assert.match(refused, /<form class="form-grid"><div role="alert" class="form-error field-wide">Patient: choose the patient from the list\.<\/div><input aria-label="Reason"\/>/);
  assert.match(refused, /<div class="form-actions field-wide"><button type="submit" class="primary">Save<\/button><span class="muted">Enter saves<\/span><\/div><\/form>/);
  assert.doesNotMatch(dialog(null), /role="alert"/);
});
