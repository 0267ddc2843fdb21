import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/http.ts';
import { session, type TokenReply } from '../api/session.ts';

/** Shown when the server requires authentication and we hold no valid token. */
export function LoginPage(props: { onLoggedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      const body = (await response.json()) as TokenReply & { error?: { code: string; message: string } };
      if (!response.ok)
        throw new ApiError(
          body.error?.code ?? 'HTTP_ERROR',
          body.error?.message ?? `HTTP ${response.status}`,
          response.status,
        );
      session.store(body);
      props.onLoggedIn();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="centered">
      <form className="login card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Benchtop</h1>
        <p>This Benchtop requires you to log in.</p>
        <label htmlFor="login-user">User name</label>
        <input
          id="login-user"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        {error ? (
          <p role="alert" className="error-text">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
