import { EventCatalogDocument } from '../../api/generated.ts';
import { useQuery } from '../../hooks/use-query.ts';

/** `*` is every event type of the catalog (not Switchyard's own operational ones). */
export const ALL_EVENT_TYPES = '*';

/** Chooses the event types an endpoint receives: all of them, or some from the workspace's catalog. */
export function EventTypesPicker({ value, onChange, error }: { value: string[]; onChange(value: string[]): void; error?: string | undefined }) {
  const { data } = useQuery(EventCatalogDocument, {});
  const catalog = data?.eventTypes.edges.map((edge) => edge.node) ?? [];
  const all = value.includes(ALL_EVENT_TYPES);
  // Patterns set through the API (order.*) stay listed, so saving the form keeps them.
  const others = value.filter((pattern) => pattern !== ALL_EVENT_TYPES && !catalog.some((type) => type.name === pattern));
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((pattern) => pattern !== name));
  return (
    <fieldset className="fieldset">
      <legend>Event types</legend>
      <label className="choice">
        <input type="checkbox" checked={all} onChange={(event) => onChange(event.target.checked ? [ALL_EVENT_TYPES] : [])} />
        All event types
      </label>
      {!all && (
        <div className="event-type-list">
          {catalog.map((type) => (
            <label className="choice" key={type.id}>
              <input type="checkbox" checked={value.includes(type.name)} onChange={(event) => toggle(type.name, event.target.checked)} />
              <span>
                <span className="mono">{type.name}</span>
                {type.description && <span className="muted"> — {type.description}</span>}
              </span>
            </label>
          ))}
          {others.map((pattern) => (
            <label className="choice" key={pattern}>
              <input type="checkbox" checked onChange={() => toggle(pattern, false)} />
              <span className="mono">{pattern}</span>
            </label>
          ))}
          {data && catalog.length === 0 && <p className="muted">The catalog has no event types yet; choose all of them.</p>}
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
