/** Appointment types, the admin's: a name, a default duration and a colour the book shows. */
import { useMemo, useState } from 'react';
import { useActions, useClinic } from '../../app/clinicContext';
import { DataTable } from '../../components/DataTable';
import { FormError } from '../../forms/FormError';

export function AppointmentTypes() {
  const types = useClinic((s) => s.data['appointment-types']);
  const { create, update } = useActions();
  const list = useMemo(() => Object.values(types).sort((a, b) => a.name.localeCompare(b.name)), [types]);
  const [name, setName] = useState('');
  const [duration, setDuration] = useState('30');
  const [colour, setColour] = useState('#3b82f6');
  const [error, setError] = useState<string | null>(null);

  return (
    <div className="card card-wide">
      <div className="card-head">
        <h2>Appointment types</h2>
      </div>
      <DataTable
        className="table compact"
        rows={list}
        rowKey={(t) => t.id}
        columns={[
          { header: 'Type', cell: (t) => t.name },
          { header: 'Default duration', cell: (t) => `${t.durationMinutes} min` },
          {
            header: 'Colour',
            cell: (t) => (
              <>
                <span className="swatch" style={{ background: t.colour }} aria-hidden="true" /> {t.colour}
              </>
            ),
          },
          {
            header: 'In use',
            cell: (t) => (
              <label className="check">
                <input type="checkbox" checked={t.active !== false} onChange={(e) => void update('appointment-types', t.id, { active: e.target.checked })} />
                {t.active !== false ? 'Offered' : 'Retired'}
              </label>
            ),
          },
        ]}
      />
      <form
        className="inline-form"
        aria-label="New appointment type"
        onSubmit={async (e) => {
          e.preventDefault();
          const minutes = Number.parseInt(duration, 10);
          if (name.trim() === '') return setError('Type name: enter a name such as Check-up.');
          if (!Number.isInteger(minutes) || minutes < 5 || minutes > 600) return setError('Default duration: 5 to 600 minutes.');
          const answer = await create('appointment-types', { name: name.trim(), durationMinutes: minutes, colour, active: true });
          if (!answer.ok) return setError(answer.error);
          setError(null);
          setName('');
        }}
      >
        <FormError error={error} />
        <label>
          Type name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </label>
        <label>
          Default duration <input type="number" min={5} max={600} step={5} value={duration} onChange={(e) => setDuration(e.target.value)} />
        </label>
        <label>
          Colour <input type="color" value={colour} onChange={(e) => setColour(e.target.value)} />
        </label>
        <button type="submit">Add type</button>
      </form>
    </div>
  );
}
