// A stand-in for `mesh serve` as the web client expects it (docs/web.md, "What the server
// provides"), for driving the page in a real browser before the Swift side exists, and as an
// executable statement of that contract: static files with the security headers, cookie login
// with double-submit CSRF, single-use WebSocket tickets, the REST routes the pages call, and
// `/v1/ws` (fakeserver.mjs's protocol logic behind a real WebSocket). In memory; loopback only.
//
//   node Tests/web/devserver.mjs [port]     (prints "listening on http://127.0.0.1:PORT")
import { createServer } from 'node:http';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from './fakeserver.mjs';
import { webRoot } from './support.mjs';

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export function startDevServer(port = 0) {
  const users = new Map();        // id → {id, email, displayName, password, emailVerified}
  const access = new Map();       // access cookie → user id
  const refreshTokens = new Map(); // refresh cookie → user id
  const sessions = new Map();     // id → {id, name, ownerID, createdAt, members: Map(user → role), hub: FakeServer, invites: Map}
  const tickets = new Map();      // ticket → {user, session, expires}

  const json = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const fail = (res, status, code, message) => json(res, status, { code, message });
  const cookies = (req) => Object.fromEntries((req.headers.cookie ?? '').split(';').map((p) => p.trim().split('=')).filter((p) => p.length === 2));
  const securityHeaders = {
    'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY', 'Cross-Origin-Opener-Policy': 'same-origin',
  };
  const profile = (u) => ({ id: u.id, email: u.email, displayName: u.displayName, emailVerified: u.emailVerified });
  const sessionInfo = (s, user) => ({ id: s.id, name: s.name, ownerID: s.ownerID, role: s.members.get(user), createdAt: s.createdAt });

  function login(res, user, status = 200) {
    const token = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    access.set(token, user.id);
    refreshTokens.set(refresh, user.id);
    json(res, status, { user: profile(user), expiresIn: 900 }, {
      'Set-Cookie': [
        `mesh_access=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=900`,
        `mesh_refresh=${refresh}; Path=/v1/auth/web; HttpOnly; SameSite=Strict; Max-Age=2592000`,
      ],
    });
  }

  async function body(req) {
    let text = '';
    for await (const chunk of req) { text += chunk; if (text.length > 4 << 20) throw new Error('too large'); }
    return text ? JSON.parse(text) : {};
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    const method = req.method;
    // Pages and static files.
    if (method === 'GET' && (path === '/' || /^\/join\/[A-Za-z0-9_-]{1,256}$/.test(path))) {
      const headers = { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store', ...securityHeaders };
      if (!cookies(req).mesh_csrf) headers['Set-Cookie'] = `mesh_csrf=${randomBytes(24).toString('base64url')}; Path=/; SameSite=Strict`;
      res.writeHead(200, headers);
      return res.end(readFileSync(join(webRoot, 'index.html')));
    }
    const asset = /^\/web\/([\w-]+\.(?:js|css))$/.exec(path);
    if (method === 'GET' && asset && existsSync(join(webRoot, asset[1]))) {
      res.writeHead(200, { 'Content-Type': TYPES[asset[1].slice(asset[1].lastIndexOf('.'))], 'Cache-Control': 'no-cache', ...securityHeaders });
      return res.end(readFileSync(join(webRoot, asset[1])));
    }
    if (!path.startsWith('/v1/')) return fail(res, 404, 'not_found', 'no such page');
    // CSRF: every unsafe request carries the csrf cookie's value in X-Mesh-CSRF; the Origin,
    // when sent, is this server's.
    const jar = cookies(req);
    if (method !== 'GET') {
      const header = Buffer.from(String(req.headers['x-mesh-csrf'] ?? ''));
      const cookie = Buffer.from(String(jar.mesh_csrf ?? ''));
      if (cookie.length === 0 || header.length !== cookie.length || !timingSafeEqual(header, cookie)) {
        return fail(res, 403, 'forbidden', 'missing or wrong CSRF token');
      }
      if (req.headers.origin && req.headers.origin !== `http://${req.headers.host}`) return fail(res, 403, 'forbidden', 'cross-origin request');
    }
    const input = method === 'GET' ? {} : await body(req);
    if (path === '/v1/auth/web/signup' && method === 'POST') {
      if ([...users.values()].some((u) => u.email === input.email)) return fail(res, 409, 'conflict', 'that email has an account');
      if (typeof input.password !== 'string' || input.password.length < 8) return fail(res, 400, 'bad_request', 'a password has 8 to 72 characters');
      const user = { id: randomUUID().toUpperCase(), email: input.email, displayName: input.displayName, password: input.password, emailVerified: false };
      users.set(user.id, user);
      return login(res, user, 201);
    }
    if (path === '/v1/auth/web/login' && method === 'POST') {
      const user = [...users.values()].find((u) => u.email === input.email && u.password === input.password);
      return user ? login(res, user) : fail(res, 401, 'unauthorized', 'wrong email or password');
    }
    if (path === '/v1/auth/web/refresh' && method === 'POST') {
      const id = refreshTokens.get(jar.mesh_refresh);
      if (!id) return fail(res, 401, 'unauthorized', 'log in again');
      refreshTokens.delete(jar.mesh_refresh);
      return login(res, users.get(id));
    }
    if (path === '/v1/auth/web/logout' && method === 'POST') {
      access.delete(jar.mesh_access);
      refreshTokens.delete(jar.mesh_refresh);
      res.writeHead(204, { 'Set-Cookie': ['mesh_access=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0', 'mesh_refresh=; Path=/v1/auth/web; HttpOnly; SameSite=Strict; Max-Age=0'] });
      return res.end();
    }
    const me = users.get(access.get(jar.mesh_access));
    if (!me) return fail(res, 401, 'unauthorized', 'log in first');
    if (path === '/v1/me' && method === 'GET') return json(res, 200, profile(me));
    if (path === '/v1/sessions' && method === 'GET') return json(res, 200, [...sessions.values()].filter((s) => s.members.has(me.id)).map((s) => sessionInfo(s, me.id)));
    if (path === '/v1/sessions' && method === 'POST') {
      const s = { id: randomUUID().toUpperCase(), name: input.name, ownerID: me.id, createdAt: new Date().toISOString(), members: new Map([[me.id, 'owner']]), hub: new FakeServer(), invites: new Map() };
      s.hub.addUser(me.id, me.displayName, 'owner');
      sessions.set(s.id, s);
      return json(res, 201, sessionInfo(s, me.id));
    }
    const joining = /^\/v1\/invites\/([\w-]+)\/join$/.exec(path);
    if (joining && method === 'POST') {
      const s = [...sessions.values()].find((x) => x.invites.has(joining[1]));
      if (!s) return fail(res, 404, 'not_found', 'no such invite');
      const invite = s.invites.get(joining[1]);
      if (invite.revoked || invite.uses >= invite.maxUses) return fail(res, 410, 'gone', 'invite used up or revoked');
      invite.uses++;
      if (!s.members.has(me.id)) { s.members.set(me.id, invite.role); s.hub.addUser(me.id, me.displayName, invite.role); }
      return json(res, 200, { session: sessionInfo(s, me.id) });
    }
    if (path === '/v1/ws-ticket' && method === 'POST') {
      const s = sessions.get(input.session);
      if (!s || !s.members.has(me.id)) return fail(res, 404, 'not_found', 'no such session, or you are not a member');
      const ticket = s.hub.issueTicket(me.id);
      tickets.set(ticket, { session: s.id, expires: Date.now() + 30000 });
      return json(res, 201, { ticket, expiresIn: 30 });
    }
    const m = /^\/v1\/sessions\/([\w-]+)(?:\/(members|invites|documents)(?:\/([\w-]+))?)?$/.exec(path);
    const s = m && sessions.get(m[1]);
    if (!s || !s.members.has(me.id)) return fail(res, 404, 'not_found', 'no such session');
    const owner = s.members.get(me.id) === 'owner';
    const [, , part, item] = m;
    if (!part) {
      if (method === 'GET') return json(res, 200, sessionInfo(s, me.id));
      if (!owner) return fail(res, 403, 'forbidden', 'owners only');
      if (method === 'PATCH') { s.name = input.name; return json(res, 200, sessionInfo(s, me.id)); }
      if (method === 'DELETE') { sessions.delete(s.id); return json(res, 204); }
    }
    if (part === 'members') {
      if (method === 'GET') {
        const online = new Set([...s.hub.connections].filter((c) => c.welcomed && !c.closed).map((c) => c.user));
        return json(res, 200, [...s.members].map(([id, role]) => ({ userID: id, displayName: users.get(id).displayName, email: users.get(id).email, role, online: online.has(id) })));
      }
      if (!owner && !(method === 'DELETE' && item === me.id)) return fail(res, 403, 'forbidden', 'owners only');
      if (method === 'PATCH') { s.members.set(item, input.role); s.hub.setRole(item, input.role); return json(res, 200, { userID: item, role: input.role }); }
      if (method === 'DELETE') { s.members.delete(item); s.hub.setRole(item, null); s.hub.deliverAll(); return json(res, 204); }
    }
    if (part === 'invites') {
      if (!owner) return fail(res, 403, 'forbidden', 'owners only');
      const wire = (i) => ({ code: i.code, sessionID: s.id, role: i.role, expiresAt: i.expiresAt, maxUses: i.maxUses, uses: i.uses, revoked: i.revoked });
      if (method === 'GET') return json(res, 200, [...s.invites.values()].map(wire));
      if (method === 'POST') {
        const invite = { code: randomBytes(32).toString('base64url'), role: input.role ?? 'editor', maxUses: input.maxUses ?? 10,
          expiresAt: new Date(Date.now() + (input.expiresInSeconds ?? 604800) * 1000).toISOString(), uses: 0, revoked: false };
        s.invites.set(invite.code, invite);
        return json(res, 201, wire(invite));
      }
      if (method === 'DELETE') { const i = s.invites.get(item); if (i) i.revoked = true; return json(res, 204); }
    }
    if (part === 'documents' && method === 'POST') {
      if (s.members.get(me.id) === 'viewer') return fail(res, 403, 'forbidden', 'viewers cannot create documents');
      if (s.hub.documents.has(input.path)) return fail(res, 409, 'conflict', 'that document exists');
      s.hub.createDocument(input.path, input.text ?? '');
      for (const c of s.hub.connections) if (c.welcomed && !c.closed) c.send({ type: 'document', path: input.path, change: 'created' });
      s.hub.deliverAll();
      return json(res, 201, { id: input.path, path: input.path, revision: 0, size: Buffer.byteLength(input.text ?? ''), updatedAt: new Date().toISOString() });
    }
    if (part === 'documents' && method === 'GET') {
      return json(res, 200, [...s.hub.documents].map(([p, e]) => ({ id: p, path: p, revision: e.doc.revision, size: Buffer.byteLength(e.doc.text), updatedAt: new Date().toISOString() })));
    }
    return fail(res, 404, 'not_found', 'no such route');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (process.env.MESH_DEV_DEBUG) console.error(error);
      if (res.headersSent) res.destroy(); else fail(res, 400, 'bad_request', String(error.message));
    });
  });

  // `/v1/ws`: the Origin must be this server's; the first message is hello with a ticket.
  server.on('upgrade', (req, socket) => {
    if (new URL(req.url, 'http://x').pathname !== '/v1/ws' || (req.headers.origin && req.headers.origin !== `http://${req.headers.host}`)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    let fake = null;
    let hub = null;
    const send = (text) => {
      const payload = Buffer.from(text);
      const header = payload.length < 126 ? Buffer.from([0x81, payload.length])
        : payload.length < 65536 ? Buffer.from([0x81, 126, payload.length >> 8, payload.length & 255])
          : Buffer.concat([Buffer.from([0x81, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(payload.length)); return b; })()]);
      socket.write(Buffer.concat([header, payload]));
    };
    const received = (text) => {
      if (fake === null) {
        const message = JSON.parse(text);
        const entry = tickets.get(message.ticket);
        tickets.delete(message.ticket);
        if (!entry || entry.expires < Date.now()) {
          send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'no valid ticket' }));
          socket.end(Buffer.from([0x88, 0]));
          return;
        }
        hub = sessions.get(entry.session).hub;
        fake = new hub.WebSocket('ws://dev');
        fake.onmessage = (event) => send(event.data);
        fake.onclose = () => socket.end(Buffer.from([0x88, 0]));
        hub.deliverAll();   // its "open"
      }
      fake.send(text);
      hub.deliverAll();
    };
    let buffer = Buffer.alloc(0);
    let pieces = [];
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = buffer[0] & 0x0f;
        const fin = (buffer[0] & 0x80) !== 0;
        let length = buffer[1] & 0x7f;
        let offset = 2;
        if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); offset = 4; }
        else if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
        if (buffer.length < offset + 4 + length) return;
        const mask = buffer.subarray(offset, offset + 4);
        const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length));
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
        buffer = buffer.subarray(offset + 4 + length);
        if (opcode === 0x8) { if (fake) fake.connection.drop(0); hub?.deliverAll(); socket.end(); return; }
        if (opcode === 0x9) { socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload])); continue; }
        if (opcode === 0x1 || opcode === 0x0) {
          pieces.push(payload);
          if (fin) { const text = Buffer.concat(pieces).toString('utf8'); pieces = []; received(text); }
        }
      }
    });
    socket.on('close', () => { if (fake && !fake.connection.closed) { fake.connection.drop(0); hub.deliverAll(); } });
    socket.on('error', () => {});
  });

  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve({ server, port: server.address().port, users, sessions }));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { port } = await startDevServer(Number(process.argv[2] ?? 0));
  console.log(`listening on http://127.0.0.1:${port}`);
}
