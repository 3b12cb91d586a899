// Session roles as the protocol names them (owner, editor, viewer), read leniently.

/** Roles as the protocol names them; a role this side does not know reads as viewer. */
export function leniently(role) {
  return role === 'owner' || role === 'editor' || role === 'viewer' ? role : 'viewer';
}

export const canEdit = (role) => role === 'editor' || role === 'owner';

/** The roles a member may be given, by an invite or a role change, least power first: never
 *  owner (a session has exactly one; the server refuses it). MeshProtocol's `Role.grantable`. */
export const GRANTABLE_ROLES = Object.freeze(['viewer', 'editor']);
