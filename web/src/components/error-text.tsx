import { ApiError } from '../api/http.ts';

/** An error as the user should read it: the server's message, with its code for reference. */
export function ErrorText(props: { error: unknown; id?: string }) {
  if (!props.error) return null;
  const e = props.error;
  const code = e instanceof ApiError ? e.code : null;
  const message = e instanceof Error ? e.message : String(e);
  return (
    <p className="error-text" role="alert" id={props.id}>
      {message}
      {code ? <span className="code"> [{code}]</span> : null}
    </p>
  );
}
