// The `/v1/debug` socket of the debug panel (docs/debugging.md, docs/web.md): a `hello` with a
// ticket, the welcome, and the lease renewal with `auth {ticket}`; the DAP messages it carries,
// one per text frame, are the DebugState's (debug.js). Nothing here touches the DOM.
import { openTicketSocket, scheduleTicketRenewal, ticketSocketFields } from './socket.js';

/** The `/v1/debug` socket of one page: `hello` with a fresh ticket, then DAP both ways through
 *  a DebugState; the lease is renewed with `auth {ticket}` before it runs out. Events (on the
 *  state): `connection` (connecting | open | closed, detail). It does not reconnect: a debug
 *  session is joined again with the panel's button. */
export class DebugConnection {
  constructor({ session, state, ...connection }) {
    Object.assign(this, ticketSocketFields(connection));
    this.session = session;
    this.state = state;
    this.welcomed = null;
    state.sendMessage = (message) => this.send(message);
    this.offWelcome = state.on('welcome', (message) => {
      if (typeof message.tokenExpiresAt === 'number') this.scheduleRenewal(message.tokenExpiresAt);
    });
    this.offAuthenticated = state.on('authenticated', (message) => {
      if (typeof message.expiresAt === 'number') this.scheduleRenewal(message.expiresAt);
    });
  }

  /** Opens the socket; resolves once `welcome` came (or rejects with the reason). */
  async open() {
    this.state.emit('connection', 'connecting');
    const ticket = await this.getTicket();
    return new Promise((resolve, reject) => {
      let welcomed = false;
      const onMessage = (message) => {
        if (!welcomed && message?.type === 'error') {
          reject(new Error(message.message ?? 'the server refused the debug connection'));
        }
        this.state.receive(message);
        if (!welcomed && message?.type === 'welcome') {
          welcomed = true;
          this.state.emit('connection', 'open');
          resolve(message);
        }
      };
      const onClose = (event) => {
        const reason = event?.reason || 'the debug connection closed';
        if (!welcomed) reject(new Error(reason));
        this.state.abandon(reason);
        this.state.emit('connection', 'closed', reason);
        if (this.state.active) {
          this.state.addOutput('important', `Mesh: ${reason}; the debug session is over for this page\n`);
          this.state.ended();
        }
      };
      openTicketSocket(this, () => ({ type: 'hello', session: this.session, root: this.state.root, ticket }), { onMessage, onClose });
    });
  }

  get isOpen() { return this.socket !== null; }

  /** false when the socket is not open (the request is answered as failed). */
  send(message) {
    if (this.socket?.readyState !== 1) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  scheduleRenewal(expiresAt) {
    scheduleTicketRenewal(this, expiresAt, (ticket) => {
      if (this.socket?.readyState === 1) this.socket.send(JSON.stringify({ type: 'auth', ticket }));
    });
  }

  close() {
    this.timers.clearTimeout(this.renewTimer);
    this.offWelcome();
    this.offAuthenticated();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'closed');
    this.state.abandon('the debug connection closed');
  }
}
