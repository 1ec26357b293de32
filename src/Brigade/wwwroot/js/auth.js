// The caller's token (issued by an administrator), kept in this browser's localStorage.
// fetch sends it as "Authorization: Bearer …"; EventSource cannot set headers, so stream URLs
// carry it as ?access_token=…. Someone who has not signed in orders as a guest: a short-lived
// customer token from POST /api/auth/guest, kept for this tab only (sessionStorage).

const KEY = 'brigade.token';
const GUEST_KEY = 'brigade.guest';

function guestToken() {
  try {
    return sessionStorage.getItem(GUEST_KEY) || null;
  } catch {
    return null;
  }
}

/** The token to send: the signed-in one, else this tab's guest token. */
export function currentToken() {
  return getToken() ?? guestToken();
}

let pendingGuest = null;

/**
 * Get a guest token for this tab (once; concurrent callers share the request). Resolves with
 * true when there is a new one to retry with.
 */
export async function obtainGuestToken() {
  if (getToken()) return false;
  pendingGuest ??= (async () => {
    try {
      const response = await fetch('/api/auth/guest', { method: 'POST', cache: 'no-store' });
      if (!response.ok) return false;
      const { token } = await response.json();
      sessionStorage.setItem(GUEST_KEY, token);
      return true;
    } catch {
      return false;
    } finally {
      pendingGuest = null;
    }
  })();
  return pendingGuest;
}

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
  const token = currentToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A same-origin URL with the token added as access_token, for EventSource. */
export function withAccessToken(path) {
  const token = currentToken();
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
