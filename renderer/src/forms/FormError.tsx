/** Why a form was not saved, announced to screen readers; nothing when there is no error. */
export function FormError({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <div role="alert" className="form-error field-wide">
      {error}
    </div>
  );
}
