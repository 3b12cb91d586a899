// The run panel's client with no browser: run.js's NDJSON reading of a streamed `POST …/run`
// (lines cut anywhere, UTF-8 cut between chunks, 401 refresh, errors, abort).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, runEvent, runProgram } from '../../Sources/MeshServer/Resources/web/run.js';

test('NDJSON lines cut anywhere, UTF-8 cut between chunks', () => {
  const bytes = new TextEncoder().encode('{"stream":"stdout","data":"héllo 世界\\n"}\n{}\n{"exit":0}');
  for (let cut = 1; cut < bytes.length; cut += 3) {
    const lines = new LineSplitter();
    const got = [...lines.push(bytes.slice(0, cut)), ...lines.push(bytes.slice(cut)), ...lines.end()];
    assert.deepEqual(got, ['{"stream":"stdout","data":"héllo 世界\\n"}', '{}', '{"exit":0}'], `cut at ${cut}`);
  }
  assert.deepEqual(runEvent('{"stream":"stderr","data":"boom"}'), { kind: 'output', stream: 'stderr', data: 'boom' });
  assert.deepEqual(runEvent('{"data":"x"}'), { kind: 'output', stream: 'stdout', data: 'x' });
  assert.deepEqual(runEvent('{}'), { kind: 'heartbeat' });
  assert.deepEqual(runEvent('{"exit":137}'), { kind: 'exit', code: 137 });
  assert.deepEqual(runEvent('{"killed":"output limit reached"}'), { kind: 'killed', reason: 'output limit reached' });
  assert.equal(runEvent('not json'), null);
  assert.equal(runEvent(''), null);
  assert.equal(runEvent('3'), null);
});

/** A streamed NDJSON response of `chunks`, as `POST …/run` answers. */
function streamed(chunks, status = 200) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status, headers: { 'Content-Type': 'application/x-ndjson' } });
}

test('runProgram: the request, the events as they come, the exit', async () => {
  const calls = [];
  const fetchImpl = async (path, init) => {
    calls.push({ path, init });
    return streamed(['{"stream":"stdout","data":"a\\n"}\n{', '}\n{"stream":"stderr","data":"b"}\n', '{"exit":2}\n']);
  };
  const events = [];
  const last = await runProgram({ session: 'S 1', pkg: './cmd/tool', args: ['-v'], fetchImpl, onEvent: (e) => events.push(e) });
  assert.equal(calls[0].path, '/v1/sessions/S%201/run');
  assert.equal(calls[0].init.method, 'POST');
  assert.deepEqual(JSON.parse(calls[0].init.body), { package: './cmd/tool', args: ['-v'] });
  assert.equal(calls[0].init.credentials, 'same-origin');
  assert.ok('X-Mesh-CSRF' in calls[0].init.headers, 'an unsafe request carries the CSRF header');
  assert.deepEqual(events.map((e) => e.kind), ['output', 'heartbeat', 'output', 'exit']);
  assert.deepEqual(last, { kind: 'exit', code: 2 });
  const noArgs = [];
  await runProgram({ session: 's', fetchImpl: async (path, init) => { noArgs.push(JSON.parse(init.body)); return streamed(['{"killed":"requested"}']); } });
  assert.deepEqual(noArgs, [{ package: '.' }]);
});

test('runProgram: a 401 is refreshed once; an error status is thrown with its message', async () => {
  const paths = [];
  let runs = 0;
  const fetchImpl = async (path) => {
    paths.push(path);
    if (path === '/v1/auth/web/refresh') return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    runs += 1;
    if (runs === 1) return new Response('{"code":"unauthorized","message":"expired"}', { status: 401, headers: { 'Content-Type': 'application/json' } });
    return streamed(['{"exit":0}\n']);
  };
  assert.deepEqual(await runProgram({ session: 's', fetchImpl }), { kind: 'exit', code: 0 });
  assert.deepEqual(paths, ['/v1/sessions/s/run', '/v1/auth/web/refresh', '/v1/sessions/s/run']);
  const forbidden = async () => new Response('{"code":"forbidden","message":"editors only"}', { status: 403, headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(runProgram({ session: 's', fetchImpl: forbidden }), (error) => error.status === 403 && error.message === 'editors only');
});

test('runProgram: aborting stops reading (the server then stops the program)', async () => {
  const controller = new AbortController();
  const fetchImpl = async (path, init) => {
    const body = new ReadableStream({
      start(stream) {
        stream.enqueue(new TextEncoder().encode('{"stream":"stdout","data":"tick\\n"}\n'));
        init.signal.addEventListener('abort', () => stream.error(new DOMException('aborted', 'AbortError')));
      },
    });
    return new Response(body, { status: 200 });
  };
  const seen = [];
  const running = runProgram({ session: 's', fetchImpl, signal: controller.signal, onEvent: (e) => { seen.push(e); controller.abort(); } });
  await assert.rejects(running, (error) => error.name === 'AbortError');
  assert.equal(seen.length, 1);
});
