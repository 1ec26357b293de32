// Every call to the Brigade API goes through here: the caller's token, JSON in and out, and
// RFC 7807 problems turned into ApiError with what the user needs to see.
import { authHeaders, currentToken, getToken, obtainGuestToken } from './auth.js';

export class ApiError extends Error {
  constructor(status, problem = {}, retryAfterSeconds = null) {
    super(problem.detail || problem.title || `The server answered ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.title = problem.title ?? null;
    this.detail = problem.detail ?? null;
    this.type = problem.type ?? null;
    this.errors = problem.errors ?? null;
    this.retryAfter = retryAfterSeconds;
  }

  /** The problem type's last part: "stale-token", "outlet-full", … */
  get slug() {
    return this.type?.startsWith('urn:brigade:problem:') ? this.type.slice('urn:brigade:problem:'.length) : null;
  }
}

/** Retry-After as seconds: either a number or an HTTP date. */
export function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * A JSON request. Resolves with the parsed body (null for 204); rejects with ApiError for any
 * non-2xx answer, and with ApiError status 0 when the server cannot be reached.
 */
export async function api(path, options = {}) {
  // Everything but the catalog needs a token: someone not signed in gets a guest one first.
  const isPublic = (options.method ?? 'GET') === 'GET' && path.startsWith('/api/restaurants');
  if (!isPublic && !currentToken()) await obtainGuestToken();
  try {
    return await request(path, options);
  } catch (e) {
    // Not signed in and the guest token has expired: carry on with a new one.
    if (e instanceof ApiError && e.status === 401 && !getToken() && await obtainGuestToken()) return request(path, options);
    throw e;
  }
}

async function request(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const h = new Headers({ Accept: 'application/json, application/problem+json', ...authHeaders(), ...headers });
  const init = { method, headers: h, signal, cache: 'no-store' };
  if (body !== undefined) {
    h.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached. Check the connection and try again.' });
  }
  const type = response.headers.get('Content-Type') ?? '';
  const data = response.status === 204 ? null
    : type.includes('json') ? await response.json().catch(() => null)
    : await response.text().catch(() => null);
  if (response.ok) return data;
  const problem = data && typeof data === 'object' ? data : { title: response.statusText, detail: typeof data === 'string' && data ? data : null };
  throw new ApiError(response.status, problem, parseRetryAfter(response.headers.get('Retry-After')));
}

/** A random idempotency key (crypto.randomUUID needs a secure context; this does not). */
export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map(v => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Plain-language lines for an error, for the problem box. */
export function explain(error) {
  if (!(error instanceof ApiError)) return { title: 'Something went wrong', lines: [String(error?.message ?? error)] };
  const lines = [];
  if (error.detail) lines.push(error.detail);
  if (error.errors && typeof error.errors === 'object') {
    for (const messages of Object.values(error.errors))
      for (const m of [].concat(messages)) if (!lines.includes(m) && !(error.detail ?? '').includes(m)) lines.push(m);
  }
  if (error.status === 401) lines.push('Sign in with a token to do this.');
  if (error.status === 403) lines.push('Your token does not allow this. Sign in with another one.');
  let title = error.title ?? 'The request failed';
  if (error.status) title += ` (${error.status})`;
  return { title, lines, retryAfter: error.retryAfter };
}
