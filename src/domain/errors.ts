/**
 * Domain errors carry the HTTP-neutral kind of failure and the exact text Heketi clients expect.
 * The http layer maps kinds to status codes; nothing here knows about HTTP.
 */
export type ErrorKind =
  | 'validation' // 400
  | 'not_found' // 404
  | 'conflict' // 409
  | 'unprocessable' // 422
  | 'no_space' // 500, before any remote work
  | 'busy' // 429
  | 'unavailable' // 503 (admin state)
  | 'executor' // a storage node said no
  | 'internal';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validationError = (field: string, reason: string): DomainError =>
  new DomainError('validation', `validation failed: ${field}: ${reason}`);

export const badRequest = (message: string): DomainError => new DomainError('validation', message);
export const notFound = (message = 'Id not found'): DomainError => new DomainError('not_found', message);
export const conflict = (message: string): DomainError => new DomainError('conflict', message);
export const noSpace = (message: string, details?: unknown): DomainError =>
  new DomainError('no_space', message, details);
