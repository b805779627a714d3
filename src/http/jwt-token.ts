import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * HS256/384/512 JWTs checked the way Heketi's JWT library checks them: a token is valid while
 * `now <= exp` in whole seconds (a one-second token of Heketi's Python client is still good during the second
 * its `exp` names), `nbf` while `now >= nbf`. Anything that is not a JSON object with numeric time claims is
 * refused as a token problem (never a 500, never accepted).
 */
export class TokenProblem extends Error {}
/** The signature does not match the key tried. */
export class SignatureMismatch extends TokenProblem {}

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const SEGMENT = /^[A-Za-z0-9_-]*$/;

export interface Claims {
  iss?: unknown;
  qsh?: unknown;
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

export interface DecodedToken {
  alg: string;
  claims: Claims;
  /** Checks the signature with the issuer's key; throws TokenProblem. */
  verify(key: KeyObject): void;
}

function jsonObject(segment: string, what: string): Record<string, unknown> {
  if (!SEGMENT.test(segment)) throw new TokenProblem(`token is malformed: ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenProblem(`token is malformed: ${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenProblem(`token is malformed: ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Splits and decodes a token; the claims are not trusted until verify() passes. */
export function decodeToken(token: string): DecodedToken {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenProblem('token contains an invalid number of segments');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = jsonObject(headerPart, 'header');
  const alg = typeof header.alg === 'string' ? header.alg : String(header.alg);
  const hash = HMAC[alg];
  if (!hash) throw new TokenProblem(`unexpected signing method: ${alg}`);
  const claims = jsonObject(payloadPart, 'payload') as Claims;
  for (const name of ['exp', 'iat', 'nbf'] as const) {
    const v = claims[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new TokenProblem(`${name} claim must be a number`);
    }
  }
  return {
    alg,
    claims,
    verify(key: KeyObject) {
      if (!SEGMENT.test(signaturePart)) throw new TokenProblem('token is malformed: signature is not base64url');
      const expected = createHmac(hash, key).update(`${headerPart}.${payloadPart}`).digest();
      const given = Buffer.from(signaturePart, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new SignatureMismatch('signature is invalid (client and server secrets may not match)');
      }
    },
  };
}

/** exp and nbf in whole seconds, as Heketi's library compares them; iat may be up to leeway seconds ahead. */
export function checkTimes(claims: Claims, nowSeconds: number, iatLeewaySeconds: number): void {
  // fractions are cut, as the Go library turns the numbers into whole seconds
  if (claims.exp === undefined) throw new TokenProblem('Token missing exp claim');
  if (nowSeconds > Math.trunc(claims.exp)) throw new TokenProblem('token is expired');
  if (claims.nbf !== undefined && nowSeconds < Math.trunc(claims.nbf)) throw new TokenProblem('token is not valid yet');
  if (claims.iat !== undefined && Math.trunc(claims.iat) > nowSeconds + iatLeewaySeconds) {
    throw new TokenProblem('Token used before issued (client and server clocks may differ)');
  }
}
