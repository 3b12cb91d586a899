// The REST API (docs/openapi.yaml) as the page uses it: same-origin requests authenticated by
// the HttpOnly `mesh_access` cookie, every unsafe one carrying `X-Mesh-CSRF` with the value of
// the readable `mesh_csrf` cookie (double submit). A 401 is answered by one cookie refresh
// (`POST /v1/auth/web/refresh`) and one retry. The page never sees a token. See docs/web.md.

export const CSRF_COOKIE = 'mesh_csrf';
export const CSRF_HEADER = 'X-Mesh-CSRF';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The value of a cookie the page may read (`mesh_csrf`), or ''. */
export function readCookie(name, cookies = globalThis.document?.cookie ?? '') {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

const SAFE = new Set(['GET', 'HEAD']);
let refreshing = null;

/** One request; `body` is sent as JSON. Resolves to the parsed JSON (or null for 204). */
export async function request(method, path, body, { retry = true, fetchImpl = globalThis.fetch } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method)) headers[CSRF_HEADER] = readCookie(CSRF_COOKIE);
  const response = await fetchImpl(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin', cache: 'no-store', redirect: 'error',
  });
  if (response.status === 401 && retry && !path.startsWith('/v1/auth/')) {
    if (await refresh(fetchImpl)) return request(method, path, body, { retry: false, fetchImpl });
  }
  if (response.status === 204) return null;
  let payload = null;
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try { payload = await response.json(); } catch { payload = null; }
  }
  if (!response.ok) {
    throw new ApiError(response.status, payload?.code ?? 'http_error', payload?.message ?? `${response.status} ${response.statusText}`);
  }
  return payload;
}

/** A request whose answer is read as a stream (`POST …/run`): resolves to the `Response` once
 *  its headers came (after one refresh and retry on 401); an error status is thrown as an
 *  ApiError. `signal` aborts it (the server then stops the program). */
export async function stream(method, path, body, { signal, retry = true, fetchImpl = globalThis.fetch } = {}) {
  const headers = { Accept: 'application/x-ndjson', 'Content-Type': 'application/json', [CSRF_HEADER]: readCookie(CSRF_COOKIE) };
  const response = await fetchImpl(path, {
    method, headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin', cache: 'no-store', redirect: 'error', signal,
  });
  if (response.status === 401 && retry && await refresh(fetchImpl)) return stream(method, path, body, { signal, retry: false, fetchImpl });
  if (!response.ok) {
    let payload = null;
    try { payload = await response.json(); } catch { payload = null; }
    throw new ApiError(response.status, payload?.code ?? 'http_error', payload?.message ?? `${response.status} ${response.statusText}`);
  }
  return response;
}

/** Renews the access cookie with the refresh cookie; one renewal at a time. */
export function refresh(fetchImpl = globalThis.fetch) {
  if (refreshing === null) {
    refreshing = request('POST', '/v1/auth/web/refresh', undefined, { retry: false, fetchImpl })
      .then(() => true, () => false)
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

const id = (value) => encodeURIComponent(value);

export const api = {
  /** The logged-in user, or null. */
  async me() {
    try { return await request('GET', '/v1/me'); } catch (error) {
      if (error.status === 401) return null;
      throw error;
    }
  },
  login: (email, password) => request('POST', '/v1/auth/web/login', { email, password }),
  signup: (email, displayName, password) => request('POST', '/v1/auth/web/signup', { email, displayName, password }),
  logout: () => request('POST', '/v1/auth/web/logout'),
  verifyEmail: (token) => request('POST', '/v1/auth/verify-email', { token }),
  resendVerification: () => request('POST', '/v1/me/verify-email'),

  sessions: () => request('GET', '/v1/sessions'),
  session: (session) => request('GET', `/v1/sessions/${id(session)}`),
  createSession: (name) => request('POST', '/v1/sessions', { name }),
  renameSession: (session, name) => request('PATCH', `/v1/sessions/${id(session)}`, { name }),
  deleteSession: (session) => request('DELETE', `/v1/sessions/${id(session)}`),

  members: (session) => request('GET', `/v1/sessions/${id(session)}/members`),
  setRole: (session, user, role) => request('PATCH', `/v1/sessions/${id(session)}/members/${id(user)}`, { role }),
  removeMember: (session, user) => request('DELETE', `/v1/sessions/${id(session)}/members/${id(user)}`),

  invites: (session) => request('GET', `/v1/sessions/${id(session)}/invites`),
  createInvite: (session, { role, maxUses, expiresInSeconds }) =>
    request('POST', `/v1/sessions/${id(session)}/invites`, { role, maxUses, expiresInSeconds }),
  revokeInvite: (session, code) => request('DELETE', `/v1/sessions/${id(session)}/invites/${id(code)}`),
  join: (code) => request('POST', `/v1/invites/${id(code)}/join`),

  documents: (session) => request('GET', `/v1/sessions/${id(session)}/documents`),
  deleteDocument: (session, document) => request('DELETE', `/v1/sessions/${id(session)}/documents/${id(document)}`),

  /** A single-use ticket for `hello.ticket` on `/v1/ws`. */
  async wsTicket(session) {
    const answer = await request('POST', '/v1/ws-ticket', { session });
    return answer.ticket;
  },
};

/** The invite link of a code on this server (InviteLink: `<server>/join/<code>`). */
export function inviteLink(code, origin = globalThis.location?.origin ?? '') {
  return `${origin}/join/${code}`;
}

/** Whether `code` can be an invite code (InviteLink.isValidCode: base64url, ≤ 256). */
export function isInviteCode(code) {
  return /^[A-Za-z0-9_-]{1,256}$/.test(code);
}
