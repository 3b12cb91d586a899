// The socket wiring the `/v1/ws` (client.js) and `/v1/debug` (debugconnection.js) connections
// share: opening with a hello, JSON messages, and the renewal of the socket's lease.

/** The properties the functions here use of a connection (`owner`), from its constructor's
 *  options: `url`, `getTicket()` (resolves to a fresh single-use ticket, or throws), and, for
 *  tests, `WebSocketImpl`, `timers` and `now()`; no socket and no renewal yet. */
export function ticketSocketFields({ url, getTicket, WebSocketImpl = globalThis.WebSocket, timers = globalThis, now = () => Date.now() }) {
  return { url, getTicket, WebSocketImpl, timers, now, socket: null, renewTimer: null };
}

/** Opens `owner.url` as `owner.socket` (`owner`: the connection, with `url`, `WebSocketImpl`,
 *  `timers` and `renewTimer`): sends `hello()` once it opens, hands each JSON message to
 *  `onMessage`, and when it closes (unless another socket replaced it) forgets it, stops the
 *  lease renewal and calls `onClose(event)`. */
export function openTicketSocket(owner, hello, { onMessage, onClose }) {
  const socket = new owner.WebSocketImpl(owner.url);
  owner.socket = socket;
  socket.onopen = () => {
    socket.send(JSON.stringify(hello()));
  };
  socket.onmessage = (event) => {
    if (socket !== owner.socket) return;
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    onMessage(message);
  };
  socket.onclose = (event) => {
    if (socket !== owner.socket) return;
    owner.socket = null;
    owner.timers.clearTimeout(owner.renewTimer);
    onClose(event);
  };
  socket.onerror = () => {};
  return socket;
}

/** Schedules the renewal of `owner`'s socket lease with a fresh ticket a quarter of the remaining
 *  time (5 s to 2 minutes) before `expiresAt` (seconds since 1970), as `mesh lsp` renews with
 *  tokens; `send(ticket)` sends `auth {ticket}`. `owner` (the `/v1/ws` and the `/v1/debug`
 *  connections) has `timers`, `now()`, `getTicket()` and `renewTimer`. When no ticket can be
 *  had, the lease runs out and the server closes: the owner reconnects or says so. */
export function scheduleTicketRenewal(owner, expiresAt, send) {
  owner.timers.clearTimeout(owner.renewTimer);
  const remaining = expiresAt * 1000 - owner.now();
  const margin = Math.min(120000, Math.max(5000, remaining / 4));
  owner.renewTimer = owner.timers.setTimeout(async () => {
    let ticket;
    try { ticket = await owner.getTicket(); } catch { return; }
    send(ticket);
  }, Math.max(0, remaining - margin));
}
