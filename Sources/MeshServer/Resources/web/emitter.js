// The event emitter the protocol clients (client.js, shareddocument.js, debug.js) extend: the
// page listens to their events. Nothing here touches the DOM.

/** A minimal event emitter: `on(type, fn)` returns the function that removes the listener. */
export class Emitter {
  constructor() { this.listeners = new Map(); }

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  emit(type, ...args) {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn(...args);
  }
}
