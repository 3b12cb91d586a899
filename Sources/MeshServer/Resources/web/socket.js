// The socket wiring the `/v1/ws` (client.js) and `/v1/debug` (debug.js) connections share.

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
