/**
 * A Brickyard server as the CLI and the Docker plugin are told it: `host:port` or an http(s) URL. Gives the
 * URL without trailing slashes, or what is wrong with it (each caller words its own error around it).
 */
export function parseServerUrl(raw: string): { url: string } | { problem: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem: 'is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'must be an http:// or https:// URL' };
  return { url: url.toString().replace(/\/+$/, '') };
}
