// The hashes the client shares with the Swift side: the document hash the server sends every
// 100 revisions (MeshProtocol's DocumentHash) and a user's colour (MeshLSP's colour index).

/** MeshProtocol's DocumentHash: FNV-1a 64 over the UTF-8 text, 16 lowercase hex digits. */
export function documentHash(text) {
  const bytes = new TextEncoder().encode(text);
  // 64-bit arithmetic in two 32-bit halves: h * 0x100000001b3 = h * 0x1b3 + (h << 40).
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]) >>> 0;
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    const newLo = loMul >>> 0;
    hi = (hi * 0x1b3 + carry + ((lo & 0xffffff) << 8 >>> 0)) >>> 0;
    lo = newLo;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** MeshLSP's colour index (0–7) of a user id: FNV-1a 32 over its code points. */
export function colorIndex(user) {
  let h = 2166136261;
  for (const ch of user) h = Math.imul((h ^ ch.codePointAt(0)) >>> 0, 16777619) >>> 0;
  return h % 8;
}
