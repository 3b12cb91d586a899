// Paths as the debugger sees them: the page names DEBUG_ROOT as its root in the `/v1/debug`
// hello, and the server maps `<root>/<path>` to the session's document `<path>` in the debug
// container (docs/debugging.md).

export const DEBUG_ROOT = '/workspace';

/** The DAP path of a session document: the server maps `<root>/<path>` to the container's. */
export function dapPath(path, root = DEBUG_ROOT) {
  return path === '' || path === '.' ? root : `${root}/${path}`;
}

/** The session document of a DAP path, or null when it is not under `root`. */
export function documentPath(path, root = DEBUG_ROOT) {
  if (typeof path !== 'string' || !path.startsWith(`${root}/`)) return null;
  const rest = path.slice(root.length + 1);
  return rest === '' ? null : rest;
}

/** A Go package folder of the session (`.`, `./cmd/tool`, `cmd/tool`) as a DAP program path. */
export function programPath(pkg, root = DEBUG_ROOT) {
  const trimmed = (pkg ?? '.').trim().replace(/^\.\/?/, '').replace(/\/+$/, '');
  return dapPath(trimmed, root);
}
