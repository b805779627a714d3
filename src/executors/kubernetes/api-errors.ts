import { ApiException } from '@kubernetes/client-node';

/** A failure talking to the API server, reduced to what an operator needs: the status code and the server's words. */
export interface ApiFailure {
  /** HTTP status, or 0 when no answer came back (refused, TLS, DNS, reset). */
  status: number;
  message: string;
  /** Worth trying again: no answer, or the server was busy/unavailable. */
  transient: boolean;
}

/** The `message` field of a metav1.Status body, when the body is one. */
export function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : body.trim();
    }
  }
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return undefined;
}

/** A TLS verification failure: trying again cannot help. */
export function isCertificateError(code: string | undefined): boolean {
  return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/i.test(code);
}

export function isTransientStatus(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** Words for a non-2xx answer, naming what was attempted and where. */
export function describeStatus(status: number, serverMessage: string | undefined, action: string, server: string): string {
  const detail = serverMessage ? `: ${serverMessage}` : '';
  if (status === 401) return `${action}: the Kubernetes API at ${server} rejected the credentials (401 Unauthorized)${detail}`;
  if (status === 403) return `${action}: not allowed by the Kubernetes API at ${server} (403 Forbidden)${detail}`;
  return `${action}: the Kubernetes API at ${server} answered ${status}${detail}`;
}

/** Turns whatever the client library threw into an ApiFailure. */
export function apiFailure(err: unknown, action: string, server: string): ApiFailure {
  if (err instanceof ApiException) {
    const status = err.code;
    return { status, message: describeStatus(status, statusMessage(err.body), action, server), transient: isTransientStatus(status) };
  }
  const e = err as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const text = e?.message ?? String(err);
  const cause = e?.cause?.message;
  return {
    status: 0,
    message: `${action}: cannot reach the Kubernetes API at ${server}: ${cause && !text.includes(cause) ? `${text} (${cause})` : text}`,
    transient: !isCertificateError(e?.code) && !isCertificateError(e?.cause?.code),
  };
}
