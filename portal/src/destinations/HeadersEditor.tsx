import { Button } from '../components/Button.tsx';

export interface HeaderRow {
  name: string;
  value: string;
}

export function headersObject(rows: readonly HeaderRow[]): Record<string, string> {
  return Object.fromEntries(rows.filter((row) => row.name.trim()).map((row) => [row.name.trim(), row.value]));
}

export function headerRows(headers: unknown): HeaderRow[] {
  if (typeof headers !== 'object' || headers === null) return [];
  return Object.entries(headers as Record<string, string>).map(([name, value]) => ({ name, value }));
}

/** Custom headers sent with every request, as name and value pairs. */
export function HeadersEditor({ rows, onChange, error }: { rows: HeaderRow[]; onChange(rows: HeaderRow[]): void; error?: string | undefined }) {
  const update = (index: number, row: HeaderRow) => onChange(rows.map((current, at) => (at === index ? row : current)));
  return (
    <fieldset className="fieldset">
      <legend>Custom headers</legend>
      <p className="field-hint">Sent with every request, e.g. an authorization your server checks. Credential values are masked once saved.</p>
      {rows.map((row, index) => (
        <div className="header-row" key={index}>
          <input
            aria-label={`Header ${index + 1} name`}
            placeholder="X-Api-Key"
            value={row.name}
            onChange={(event) => update(index, { ...row, name: event.target.value })}
          />
          <input
            aria-label={`Header ${index + 1} value`}
            placeholder="value"
            value={row.value}
            onChange={(event) => update(index, { ...row, value: event.target.value })}
          />
          <Button variant="ghost" aria-label={`Remove header ${index + 1}`} onClick={() => onChange(rows.filter((_, at) => at !== index))}>
            Remove
          </Button>
        </div>
      ))}
      <Button variant="ghost" onClick={() => onChange([...rows, { name: '', value: '' }])}>
        Add header
      </Button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
