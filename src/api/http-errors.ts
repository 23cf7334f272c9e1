/**
 * dockerd's HTTP status for each of strata's error codes (moby's httpstatus.FromError), and
 * the message the CLI would print for the same error.
 */
import { fromUntranslatedError, StrataError, type ErrorCode } from '../errdefs/index.ts';

const STATUS: Record<ErrorCode, number> = {
  'not-found': 404,
  'already-exists': 409,
  'invalid-argument': 400,
  'failed-precondition': 409,
  conflict: 409,
  unavailable: 503,
  'permission-denied': 403,
  'data-loss': 500,
  unimplemented: 501,
  canceled: 500,
  internal: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** The status and `message` of an error's JSON answer; a bug is a 500 that says so. */
export function errorResponse(err: unknown): { status: number; message: string } {
  const translated = err instanceof StrataError ? err : fromUntranslatedError(err);
  if (translated !== undefined) return { status: STATUS[translated.code], message: translated.message };
  return { status: 500, message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}
