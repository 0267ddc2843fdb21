/**
 * h5wasm's throwing error handler puts HDF5's whole error stack in the message (a dozen
 * `#003: …/H5Fint.c line 2040 in H5F_open(): unable to open file` lines). The outermost line
 * says what was attempted and the innermost why; the rest is HDF5's call path.
 */
const STACK_LINE = /^\s*#\d+: .* in ([\w.]+)\(\): (.*)$/;

export function describeHdf5Error(err: unknown): { message: string; details: Record<string, unknown> } {
  const text = err instanceof Error ? err.message : String(err);
  const details: Record<string, unknown> = {};
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string') details.errno = errno;
  const steps = text
    .split('\n')
    .map((line) => STACK_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ fn: m[1], what: m[2]?.trim() ?? '' }));
  const outer = steps[0];
  const inner = steps.at(-1);
  if (!outer || !inner) return { message: text, details };
  details.hdf5Function = inner.fn;
  const os = /error message = '([^']*)'/.exec(inner.what)?.[1];
  if (os) details.systemError = os;
  return { message: outer === inner ? outer.what : `${outer.what}: ${inner.what}`, details };
}
