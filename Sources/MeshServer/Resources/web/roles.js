// Session roles as the protocol names them (owner, editor, viewer), read leniently.

/** Roles as the protocol names them; a role this side does not know reads as viewer. */
export function leniently(role) {
  return role === 'owner' || role === 'editor' || role === 'viewer' ? role : 'viewer';
}

export const canEdit = (role) => role === 'editor' || role === 'owner';
