import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Context, Next } from 'koa';
import type { Config } from '../config/schema';
import { HttpError } from './errors';
import type { Initiator } from '../domain/operation';

/** Who is calling, as the routes see it. */
export interface Caller {
  role: Initiator;
}

const HMAC_ALGORITHMS: jwt.Algorithm[] = ['HS256', 'HS384', 'HS512'];
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
function signedWithEmptyKey(token: string): boolean {
  try {
    jwt.verify(token, secretKey(''), { algorithms: HMAC_ALGORITHMS, ignoreExpiration: true, ignoreNotBefore: true });
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

  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload !== 'object') throw invalid('token is malformed');
  if (!HMAC_ALGORITHMS.includes(decoded.header.alg as jwt.Algorithm)) {
    throw invalid(`unexpected signing method: ${decoded.header.alg}`);
  }
  const claims = decoded.payload as jwt.JwtPayload;
  if (!claims.iss) throw invalid('Token missing iss claim');
  const role = claims.iss === 'admin' ? 'admin' : claims.iss === 'user' ? 'user' : undefined;
  if (!role) throw invalid(`Unknown user ${String(claims.iss)}`);
  const key = role === 'admin' ? config.jwt.admin.key : config.jwt.user.key;
  if (!key) throw invalid(`no key is configured for ${role}`);

  try {
    // iat is checked below with Heketi's leeway; jsonwebtoken checks exp and nbf.
    jwt.verify(token, secretKey(key), { algorithms: HMAC_ALGORITHMS, ignoreNotBefore: false });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw invalid('token is expired');
    if (err instanceof jwt.NotBeforeError) throw invalid('token is not valid yet');
    if (err instanceof jwt.JsonWebTokenError && /signature/.test(err.message)) {
      if (signedWithEmptyKey(token)) throw invalid(`no key given: the client signed the token with an empty key (give the ${role} key)`);
      throw invalid('signature is invalid (client and server secrets may not match)');
    }
    throw invalid((err as Error).message);
  }
  if (typeof claims.exp !== 'number') throw invalid('Token missing exp claim');
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.iat === 'number' && claims.iat > now + iatLeewaySeconds(env)) {
    throw invalid('Token used before issued (client and server clocks may differ)');
  }
  if (claims.qsh !== qshFor(method, path)) throw new HttpError(401, 'Invalid qsh claim in token');
  if (role === 'user' && !userMayCall(path)) throw new HttpError(401, 'Administrator access required');
  return { role };
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
