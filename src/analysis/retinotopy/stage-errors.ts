import { BenchtopError } from '../../core/errors.ts';
import type { StageError } from './stage-worker-protocol.ts';

// A stage's error crosses the thread boundary as plain data (structured clone keeps neither a
// BenchtopError's class nor its code) and is rebuilt on the calling thread.

export function stageErrorOf(error: unknown): StageError {
  if (error instanceof BenchtopError) {
    return { name: error.name, message: error.message, code: error.code, details: error.details };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

const ERROR_TYPES: Record<string, ErrorConstructor> = {
  Error,
  RangeError,
  TypeError,
  ReferenceError,
  SyntaxError,
};

/** The error the stage threw, as the calling thread would have seen it (same class where known, code, message). */
export function errorOfStage(error: StageError): Error {
  if (error.code) return new BenchtopError(error.code, error.message, error.details ?? {});
  const out = new (ERROR_TYPES[error.name] ?? Error)(error.message);
  if (!(error.name in ERROR_TYPES)) out.name = error.name;
  return out;
}
