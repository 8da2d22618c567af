/** A screen's heading (its id names the screen's main table) and the toolbar of its actions. */
import type { ReactNode } from 'react';

export function ScreenHeader({ id, title, children }: { id: string; title: ReactNode; children?: ReactNode }) {
  return (
    <div className="screen-header">
      <h1 id={id}>{title}</h1>
      {children ? <div className="toolbar">{children}</div> : null}
    </div>
  );
}
