import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Config } from '../config/schema';
import { HttpError } from './errors';
import { checkTimes, decodeToken, SignatureMismatch, TokenProblem, type DecodedToken } from './jwt-token';
import type { Initiator } from '../domain/operation';

/** Who is calling, as the routes see it. */
export interface Caller {
  role: Initiator;
}

const OPEN_PATHS = new Set(['/hello', '/metrics']);

export function qshFor(method: string, path: string): string {
  return createHash('sha256').update(`${method.toUpperCase()}&${path}`).digest('hex');
}

/** Routes a `user` token may call: every volume route and the queue (checked per entry by the queue route). */
export function userMayCall(path: string): boolean {
  return path === '/volumes' || path.startsWith('/volumes/') || path.startsWith('/queue/');
}

function iatLeewaySeconds(env: NodeJS.ProcessEnv): number {
  const value = Number.parseInt(env.HEKETI_JWT_IAT_LEEWAY_SECONDS ?? '', 10);
  return Number.isFinite(value) && value >= 0 ? value : 120;
}

/**
 * The configured secrets as KeyObjects, made once: given a string, jsonwebtoken first tries to read it as a
 * public key on every verify, which cost ~0.4 ms a request (a fifth of a create's server time).
 */
const secretKeys = new Map<string, KeyObject>();
function secretKey(key: string): KeyObject {
  let k = secretKeys.get(key);
  if (!k) {
    k = createSecretKey(Buffer.from(key, 'utf8'));
    secretKeys.set(key, k);
  }
  return k;
}

/** A client with a user but no key (HEKETI_CLI_KEY unset) signs with "": say so rather than "signature is invalid". */
function signedWithEmptyKey(decoded: DecodedToken): boolean {
  try {
    decoded.verify(secretKey(''));
    return true;
  } catch {
    return false;
  }
}

function invalid(reason: string): HttpError {
  return new HttpError(401, `Invalid JWT token: ${reason}`);
}

/** Verifies a Heketi JWT for this request and returns the caller's role. */
export function authenticate(
  header: string | undefined,
  method: string,
  path: string,
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Caller {
  if (!header) throw new HttpError(401, 'Required authorization token not found');
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new HttpError(400, 'Authorization header format must be Bearer {token}');
  const token = match[1]!;

  try {
    const decoded = decodeToken(token);
    const { claims } = decoded;
    if (!claims.iss) throw new TokenProblem('Token missing iss claim');
    const role = claims.iss === 'admin' ? 'admin' : claims.iss === 'user' ? 'user' : undefined;
    if (!role) throw new TokenProblem(`Unknown user ${String(claims.iss).slice(0, 64)}`);
    const key = role === 'admin' ? config.jwt.admin.key : config.jwt.user.key;
    if (!key) throw new TokenProblem(`no key is configured for ${role}`);
    try {
      decoded.verify(secretKey(key));
    } catch (err) {
      if (err instanceof SignatureMismatch && signedWithEmptyKey(decoded)) {
        throw new TokenProblem(`no key given: the client signed the token with an empty key (give the ${role} key)`);
      }
      throw err;
    }
    checkTimes(claims, Math.floor(Date.now() / 1000), iatLeewaySeconds(env));
    if (claims.qsh !== qshFor(method, path)) throw new HttpError(401, 'Invalid qsh claim in token');
    if (role === 'user' && !userMayCall(path)) throw new HttpError(401, 'Administrator access required');
    return { role };
  } catch (err) {
    if (err instanceof TokenProblem) throw invalid(err.message);
    throw err;
  }
}

export function authMiddleware(config: Config) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!config.use_auth) {
      ctx.state.caller = { role: 'admin' } satisfies Caller;
    } else if (OPEN_PATHS.has(ctx.path) && ctx.method === 'GET') {
      ctx.state.caller = { role: 'user' } satisfies Caller;
    } else {
      ctx.state.caller = authenticate(ctx.get('Authorization') || undefined, ctx.method, ctx.path, config);
    }
    await next();
  };
}

export function callerOf(ctx: Context): Caller {
  return ctx.state.caller as Caller;
}
