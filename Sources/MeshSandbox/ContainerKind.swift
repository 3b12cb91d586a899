/// What a sandbox container is for: the value of its ``ContainerSpec/kindLabel`` label and of its
/// slot's kind, by which ``Sandbox/kill(session:user:kind:)`` finds a member's runs when they
/// are no longer an editor. The raw values are the labels' values: containers an older server
/// started carry them, so they never change.
public enum ContainerKind: String, Sendable, Hashable, CaseIterable {
    /// `mesh run` (`POST /v1/sessions/{id}/run`).
    case run
    /// A shared debug session's `mesh-relay dap` (``Sandbox/startDebugRelay(workspace:tenant:labels:)``).
    case debug
}
