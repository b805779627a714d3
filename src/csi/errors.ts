import { status } from '@grpc/grpc-js';
import { HeketiError } from '../client/heketi-client';

/** An error answered with a gRPC status code the CSI spec names for the situation. */
export class CsiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CsiError';
  }
}

export const invalidArgument = (field: string, problem: string) => new CsiError(status.INVALID_ARGUMENT, `${field}: ${problem}`);
export const missing = (field: string) => invalidArgument(field, 'is required');
export const notFound = (message: string) => new CsiError(status.NOT_FOUND, message);

/**
 * Brickyard's answers as gRPC codes: unreachable -> UNAVAILABLE (the CO retries), no space ->
 * RESOURCE_EXHAUSTED, a name taken by a different request -> ALREADY_EXISTS, bad input -> INVALID_ARGUMENT,
 * unknown id -> NOT_FOUND, a rejected key -> UNAUTHENTICATED; the server's own words are kept in the message.
 */
export function fromBrickyard(err: unknown, doing: string): CsiError {
  if (err instanceof CsiError) return err;
  if (!(err instanceof HeketiError)) {
    return new CsiError(status.INTERNAL, `${doing}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = `${doing}: Brickyard answered: ${err.message}`;
  if (err.status === 0) return new CsiError(status.UNAVAILABLE, `${doing}: ${err.message}`);
  if (/No space/i.test(err.message)) return new CsiError(status.RESOURCE_EXHAUSTED, text);
  switch (err.status) {
    case 400:
    case 422:
      return new CsiError(status.INVALID_ARGUMENT, text);
    case 401:
    case 403:
      return new CsiError(status.UNAUTHENTICATED, `${text} (check the Brickyard user and key given to the driver)`);
    case 404:
      return new CsiError(status.NOT_FOUND, text);
    case 409:
      return new CsiError(status.ALREADY_EXISTS, text);
    case 429:
    case 502:
    case 503:
    case 504:
      return new CsiError(status.UNAVAILABLE, text);
    default:
      return new CsiError(status.INTERNAL, text);
  }
}
