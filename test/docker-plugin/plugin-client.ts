import { request } from 'node:http';

/** Speaks to the plugin as dockerd does: POST with a JSON body over the unix socket. */
export function pluginCall(socketPath: string, method: string, body?: unknown, httpMethod = 'POST'): Promise<{ status: number; contentType: string; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: `/${method}`, method: httpMethod, headers: { Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), json: JSON.parse(text) });
          } catch (err) {
            reject(new Error(`not JSON (${(err as Error).message}): ${text}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
