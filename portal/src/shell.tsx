import { usePortal } from './portal-context.tsx';
import { useRoute, type Route } from './router.ts';
import { useTheme, type ThemeChoice } from './theme.ts';
import { Link } from './components/Link.tsx';
import { EndpointsScene } from './scenes/endpoints/EndpointsScene.tsx';
import { EndpointScene } from './scenes/endpoint/EndpointScene.tsx';
import { DeliveriesScene } from './scenes/deliveries/DeliveriesScene.tsx';
import { DeliveryScene } from './scenes/delivery/DeliveryScene.tsx';

const THEMES: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

function current(route: Route): 'endpoints' | 'deliveries' {
  return route.screen === 'deliveries' || route.screen === 'delivery' ? 'deliveries' : 'endpoints';
}

/** The frame of every screen: the workspace's name and logo, the two sections, the theme. */
export function Shell() {
  const { workspace, session } = usePortal();
  const route = useRoute();
  const [theme, setTheme] = useTheme();
  const section = current(route);
  const settings = workspace.portalSettings;
  const title = settings.displayName ?? 'Webhooks';
  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          {settings.logoUrl && <img src={settings.logoUrl} alt="" className="brand-logo" />}
          <span className="brand-name">{title}</span>
        </div>
        <label className="theme-picker">
          <span className="visually-hidden">Theme</span>
          <select value={theme} onChange={(event) => setTheme(event.target.value as ThemeChoice)} aria-label="Theme">
            {THEMES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      </header>
      <nav className="tabs" aria-label="Sections">
        <Link to={{ screen: 'endpoints' }} className="tab" current={section === 'endpoints'}>
          Endpoints
        </Link>
        <Link to={{ screen: 'deliveries', query: '' }} className="tab" current={section === 'deliveries'}>
          Delivery log
        </Link>
        {session.returnUrl && (
          <a className="tab tab-return" href={session.returnUrl} target="_top">
            Back to the app
          </a>
        )}
      </nav>
      <main className="content" key={route.screen === 'endpoint' || route.screen === 'delivery' ? `${route.screen}:${route.id}` : route.screen}>
        {route.screen === 'endpoints' && <EndpointsScene />}
        {route.screen === 'endpoint' && <EndpointScene id={route.id} />}
        {route.screen === 'deliveries' && <DeliveriesScene query={route.query} />}
        {route.screen === 'delivery' && <DeliveryScene id={route.id} />}
      </main>
    </div>
  );
}
