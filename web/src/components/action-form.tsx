import { type FormEvent, useState } from 'react';
import { sendJson } from '../api/http.ts';
import type { ActionDescription, ActionReply } from '../api/types.ts';
import { checkDraft, type Draft, initialDraft, type Problem } from '../forms/json-schema.ts';
import { resultTable } from '../forms/result-table.ts';
import { SchemaFields } from '../forms/schema-form.tsx';
import { ErrorText } from './error-text.tsx';

/** One action of an instrument: a button, with a form for its arguments built from their schema. */
export function ActionForm(props: { instrument: string; action: ActionDescription; canRun: boolean }) {
  const { action, instrument } = props;
  const [draft, setDraft] = useState(() => initialDraft(action.args) as Record<string, Draft>);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const idPrefix = `action-${instrument}-${action.name}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const hasArgs = Object.keys(action.args.properties ?? {}).length > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const checked = checkDraft(action.args, draft);
    setProblems(checked.problems);
    setResult(undefined);
    setError(null);
    if (checked.problems.length > 0) return;
    setBusy(true);
    try {
      const reply = await sendJson<ActionReply>(
        'POST',
        `/api/v1/instruments/${encodeURIComponent(instrument)}/actions/${encodeURIComponent(action.name)}`,
        { args: checked.value },
      );
      setResult(reply.result);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="action-form" onSubmit={submit} noValidate aria-label={`${action.name} action`}>
      {hasArgs ? (
        <fieldset className="fields">
          <legend>{action.name}</legend>
          <SchemaFields
            schema={action.args}
            draft={draft}
            onChange={setDraft}
            idPrefix={idPrefix}
            problems={problems}
            disabled={!props.canRun || busy}
          />
        </fieldset>
      ) : null}
      <button
        type="submit"
        disabled={!props.canRun || busy}
        title={props.canRun ? action.description : 'Needs the operator role'}
      >
        {busy ? `${action.name}…` : action.name}
      </button>
      <small className="hint">{action.description}</small>
      {problems.some((p) => p.path === '') ? (
        <p className="error-text" role="alert">
          {problems
            .filter((p) => p.path === '')
            .map((p) => p.message)
            .join('; ')}
        </p>
      ) : null}
      <ErrorText error={error} />
      {result !== undefined && result !== null ? <ActionResult name={action.name} result={result} /> : null}
    </form>
  );
}

/** A list of records (a controller's tag list) as a table; any other result as its JSON. */
function ActionResult(props: { name: string; result: unknown }) {
  const table = resultTable(props.result);
  if (!table) {
    return (
      <output className="action-result" aria-label={`${props.name} result`}>
        {JSON.stringify(props.result)}
      </output>
    );
  }
  return (
    <output className="action-result" aria-label={`${props.name} result`}>
      <table className="result-table">
        <caption>
          {table.key ?? props.name}: {table.rows.length}
        </caption>
        <thead>
          <tr>
            {table.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, i) => (
            // Rows have no identity of their own beyond their place in the result.
            // biome-ignore lint/suspicious/noArrayIndexKey: a static list, never reordered
            <tr key={i}>
              {row.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per table
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </output>
  );
}
