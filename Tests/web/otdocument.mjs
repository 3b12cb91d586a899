// A test-only port of MeshOT's OTDocument (the authority), for the JavaScript simulations: text,
// revision, committed history, receive(op, baseRevision, opId) with idempotent duplicates.
import { OTError } from '../../Sources/MeshServer/Resources/web/ot.js';

export class OTDocument {
  constructor(text = '', revision = 0, historyLimit = 1024) {
    this.text = text;
    this.revision = revision;
    this.historyLimit = historyLimit;
    this.history = [];          // {revision, operation, opId, author}, oldest first
    this.byOpId = new Map();
  }

  get oldestRetainedRevision() { return this.revision - this.history.length; }

  receive(operation, baseRevision, opId = null, author = null) {
    if (opId !== null && this.byOpId.has(opId)) {
      const entry = this.history.find((e) => e.revision === this.byOpId.get(opId));
      if (entry) return { committed: entry, isDuplicate: true };
    }
    let transformed = operation;
    for (const entry of this.operationsSince(baseRevision)) transformed = transformed.transformedAgainst(entry.operation);
    this.text = transformed.apply(this.text);
    this.revision += 1;
    const committed = { revision: this.revision, operation: transformed, opId, author };
    this.history.push(committed);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped.opId !== null) this.byOpId.delete(dropped.opId);
    }
    if (opId !== null) this.byOpId.set(opId, this.revision);
    return { committed, isDuplicate: false };
  }

  operationsSince(revision) {
    if (revision > this.revision) throw new OTError('revisionInFuture', `base revision ${revision} is newer than ${this.revision}`);
    if (revision < this.oldestRetainedRevision) throw new OTError('revisionTooOld', `base revision ${revision} is too old`);
    return this.history.slice(this.history.length - (this.revision - revision));
  }
}
