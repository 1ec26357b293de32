// The caller's token (issued by an administrator), kept in this browser's localStorage.
// fetch sends it as "Authorization: Bearer …"; EventSource cannot set headers, so stream URLs
// carry it as ?access_token=….

const KEY = 'brigade.token';

export function getToken() {
  try {
    return localStorage.getItem(KEY) || null;
  } catch {
    return null; // storage disabled: act anonymously
  }
}

export function setToken(token) {
  const value = String(token ?? '').trim().replace(/^Bearer\s+/i, '');
  if (!value) return clearToken();
  localStorage.setItem(KEY, value);
}

export function clearToken() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/** Headers that identify the caller, to merge into a request. */
export function authHeaders() {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A same-origin URL with the token added as access_token, for EventSource. */
export function withAccessToken(path) {
  const token = getToken();
  if (!token) return path;
  const url = new URL(path, location.origin);
  url.searchParams.set('access_token', token);
  return url.pathname + url.search;
}

/**
 * What a JWT says about its holder (subject, role, outlet, expiry), read without verifying it:
 * only for showing. Null for a token that is not a JWT.
 */
export function describeToken(token = getToken()) {
  if (!token) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return { opaque: true };
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, c => c.charCodeAt(0))));
    const role = claims.role ?? claims['http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
    return {
      subject: claims.sub ?? claims.name ?? null,
      role: Array.isArray(role) ? role.join(', ') : role ?? null,
      outlet: claims.outlet ?? null,
      expires: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
    };
  } catch {
    return { opaque: true };
  }
}
