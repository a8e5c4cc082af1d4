import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { reportHeightToParent } from './height.ts';
import { readBootstrap, takeToken } from './session.ts';
import { setBase } from './router.ts';
import './styles.css';

const bootstrap = readBootstrap();
if (bootstrap.sessionId) setBase(bootstrap.sessionId);
// Taken first of all, so the token leaves the address bar before anything else happens.
const token = bootstrap.sessionId && bootstrap.state === 'ACTIVE' ? takeToken(bootstrap.sessionId) : null;

reportHeightToParent();
createRoot(document.getElementById('root')!).render(<App bootstrap={bootstrap} token={token} />);
