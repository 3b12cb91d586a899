// The run panel's client of `POST /v1/sessions/{session}/run` (docs/debugging.md): the session's
// current code built and run in the sandbox, its output streamed back as NDJSON lines —
// `{"stream":"stdout"|"stderr","data":…}`, `{}` while the program is silent, and last
// `{"exit":code}` or `{"killed":reason}` — read as they arrive (a ReadableStream reader).
// Aborting the request stops the program (the server notices the client is gone).
import { stream } from './api.js';

/** Splits a byte stream into lines: `push(bytes)` → the complete lines so far; `end()` → the
 *  last line if it had no newline. UTF-8 sequences cut between chunks are kept whole. */
export class LineSplitter {
  constructor() {
    this.decoder = new TextDecoder();
    this.rest = '';
  }

  push(bytes) {
    this.rest += this.decoder.decode(bytes, { stream: true });
    const lines = this.rest.split('\n');
    this.rest = lines.pop();
    return lines;
  }

  end() {
    const last = this.rest + this.decoder.decode();
    this.rest = '';
    return last === '' ? [] : [last];
  }
}

/** One NDJSON line as an event: {kind: 'output', stream, data} | {kind: 'exit', code} |
 *  {kind: 'killed', reason} | {kind: 'heartbeat'}; null for a line that is not JSON. */
export function runEvent(line) {
  if (line.trim() === '') return null;
  let value;
  try { value = JSON.parse(line); } catch { return null; }
  if (value === null || typeof value !== 'object') return null;
  if (typeof value.data === 'string') return { kind: 'output', stream: value.stream === 'stderr' ? 'stderr' : 'stdout', data: value.data };
  if (typeof value.exit === 'number') return { kind: 'exit', code: value.exit };
  if (typeof value.killed === 'string') return { kind: 'killed', reason: value.killed };
  return { kind: 'heartbeat' };
}

/** Runs the session's package (`.` or a folder like `./cmd/tool`) with `args`; calls
 *  `onEvent(event)` for each line as it arrives; resolves to the last event (exit or killed),
 *  or null when the stream ended without one. Rejects with an ApiError (403 for a viewer, 429
 *  over a cap, 503 without a sandbox) or an AbortError. */
export async function runProgram({ session, pkg = '.', args = [], signal, onEvent, fetchImpl = globalThis.fetch }) {
  const body = { package: pkg };
  if (args.length > 0) body.args = args;
  const response = await stream('POST', `/v1/sessions/${encodeURIComponent(session)}/run`, body, { signal, fetchImpl });
  const reader = response.body.getReader();
  const lines = new LineSplitter();
  let last = null;
  const take = (line) => {
    const event = runEvent(line);
    if (event === null) return;
    if (event.kind === 'exit' || event.kind === 'killed') last = event;
    onEvent?.(event);
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const line of lines.push(value)) take(line);
  }
  for (const line of lines.end()) take(line);
  return last;
}
