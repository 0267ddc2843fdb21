import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, getJson, onUnauthorized, sendJson } from './api/http.ts';
import { session } from './api/session.ts';
import type { Principal } from './api/types.ts';
import { PageErrorBoundary } from './components/error-boundary.tsx';
import { AuthContext, useStreamStatus } from './hooks.ts';
import { stream } from './live/stream-connection.ts';
import { AlarmsPage } from './pages/alarms-page.tsx';
import { CameraPage } from './pages/camera-page.tsx';
import { HistoryPage } from './pages/history-page.tsx';
import { ImagingPage } from './pages/imaging-page.tsx';
import { InstrumentPage } from './pages/instrument-page.tsx';
import { IsiAnalysisPage } from './pages/isi-analysis-page.tsx';
import { LinePage } from './pages/line-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { ProcessPage } from './pages/process-page.tsx';
import { RunsPage } from './pages/runs-page.tsx';
import { ScansPage } from './pages/scans-page.tsx';
import { StimulusPage } from './pages/stimulus-page.tsx';
import { SystemPage } from './pages/system-page.tsx';
import { Link, match, useLocation } from './router.tsx';

const NAV = [
  { to: '/', label: 'Overview', prefix: null },
  { to: '/instruments', label: 'Instruments', prefix: '/instruments' },
  { to: '/camera', label: 'Camera', prefix: '/camera' },
  { to: '/imaging', label: 'Imaging', prefix: '/imaging' },
  { to: '/scans', label: 'Scans', prefix: '/scans' },
  { to: '/runs', label: 'Runs', prefix: '/runs' },
  { to: '/history', label: 'History', prefix: '/history' },
  { to: '/alarms', label: 'Alarms', prefix: '/alarms' },
  { to: '/process', label: 'Process', prefix: '/process' },
  { to: '/line', label: 'Line', prefix: '/line' },
  { to: '/imaging/analysis', label: 'ISI analysis', prefix: '/imaging/analysis' },
  { to: '/system', label: 'System', prefix: '/system' },
];

type Who =
  | { kind: 'loading' }
  | { kind: 'login' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'in'; principal: Principal };

/** Finds out who we are (/auth/me), shows the login page when the server wants credentials, else the dashboard. */
export function App() {
  const [who, setWho] = useState<Who>({ kind: 'loading' });

  const identify = useCallback(async () => {
    try {
      const principal = await getJson<Principal>('/api/v1/auth/me');
      setWho({ kind: 'in', principal });
      stream.start();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setWho({ kind: 'login' });
      else setWho({ kind: 'unreachable', message: error instanceof Error ? error.message : String(error) });
    }
  }, []);

  useEffect(() => {
    void identify();
    return onUnauthorized(() => {
      stream.stop();
      session.clear();
      setWho({ kind: 'login' });
    });
  }, [identify]);

  const logout = useCallback(() => {
    const refresh = session.refreshToken;
    const done = () => {
      stream.stop();
      session.clear();
      void identify();
    };
    if (refresh) sendJson('POST', '/api/v1/auth/logout', { refresh_token: refresh }).then(done, done);
    else done();
  }, [identify]);

  if (who.kind === 'loading')
    return (
      <main className="centered">
        <p>Connecting to Benchtop…</p>
      </main>
    );
  if (who.kind === 'login') return <LoginPage onLoggedIn={() => void identify()} />;
  if (who.kind === 'unreachable')
    return (
      <main className="centered">
        <div role="alert" className="banner error">
          Cannot reach the Benchtop server: {who.message}
        </div>
        <button type="button" onClick={() => void identify()}>
          Try again
        </button>
      </main>
    );
  return (
    <AuthContext.Provider value={{ principal: who.principal, logout }}>
      <Shell principal={who.principal} logout={logout} />
    </AuthContext.Provider>
  );
}

function Shell(props: { principal: Principal; logout: () => void }) {
  const { path, params } = useLocation();
  const status = useStreamStatus();
  // The stimulus monitor's page fills its screen: no bars, no navigation.
  if (path === '/stimulus') return <StimulusPage display={params.get('display')} />;
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Benchtop</span>
        <output className={`connection ${status}`} aria-label="Live stream">
          {status === 'connected' ? 'live' : status}
        </output>
        <span className="spacer" />
        <span className="user">
          {props.principal.name} <span className="role">({props.principal.role})</span>
        </span>
        {props.principal.auth === 'required' && props.principal.kind === 'user' ? (
          <button type="button" className="link-button" onClick={props.logout}>
            Log out
          </button>
        ) : null}
      </header>
      <nav className="sidenav" aria-label="Pages">
        <ul>
          {NAV.map((item) => {
            const active = item.prefix === null ? path === '/' : path.startsWith(item.prefix);
            return (
              <li key={item.to}>
                <Link to={item.to} aria-current={active ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main className="content">
        {status === 'disconnected' ? (
          <div role="alert" className="banner error">
            Disconnected from the Benchtop server — reconnecting… Values shown may be stale.
          </div>
        ) : null}
        <PageErrorBoundary page={path}>
          <Page path={path} />
        </PageErrorBoundary>
      </main>
    </div>
  );
}

const ROUTES: [string, (params: Record<string, string>) => ReactNode][] = [
  ['/', () => <OverviewPage />],
  ['/instruments', () => <InstrumentPage id={null} />],
  ['/instruments/:id', (p) => <InstrumentPage id={p.id!} />],
  ['/camera', () => <CameraPage id={null} />],
  ['/camera/:id', (p) => <CameraPage id={p.id!} />],
  ['/imaging', () => <ImagingPage />],
  ['/scans', () => <ScansPage />],
  ['/runs', () => <RunsPage uid={null} />],
  ['/runs/:uid', (p) => <RunsPage uid={p.uid!} />],
  ['/history', () => <HistoryPage />],
  ['/alarms', () => <AlarmsPage />],
  ['/process', () => <ProcessPage />],
  ['/line', () => <LinePage />],
  ['/imaging/analysis', () => <IsiAnalysisPage />],
  ['/system', () => <SystemPage />],
];

function Page({ path }: { path: string }) {
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) return render(params);
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}
