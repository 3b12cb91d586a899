/// How an editor's LSP client treats `workspace/applyEdit`, as far as telling the echo of an
/// applied edit from the user's typing needs. See docs/architecture.md, "Echo or typing".
public struct EditorTraits: Sendable, Hashable {
    /// `applied: true` means the editor applied the edit. Neovim's built-in handler answers
    /// true also for an edit it skipped as older than its buffer ("Buffer … newer than edits").
    public var answersTruthfully: Bool
    /// The editor refuses an edit whose version is not its buffer's, whatever the number.
    /// Neovim checks only versions above 0, and every buffer is at version 0 at `didOpen`:
    /// an edit at version 0 would be applied to whatever the buffer holds by then.
    public var checksEveryVersion: Bool
    /// The bridge sends versioned `TextDocumentEdit`s in `documentChanges`, which the editor
    /// applies only to the buffer version they name (as ``checks(version:)`` says). When false
    /// it sends `changes` (URI → edits), which name no version: the editor applies them to
    /// whatever its buffer holds, so an edit that crosses the user's typing can land a few
    /// characters off. The bridge then finds where it landed, moves it back and sends it again
    /// (``InflightEdit/Settlement/displaced(typedBefore:echoEnd:)``).
    public var versionedEdits: Bool

    public init(answersTruthfully: Bool, checksEveryVersion: Bool, versionedEdits: Bool = true) {
        self.answersTruthfully = answersTruthfully
        self.checksEveryVersion = checksEveryVersion
        self.versionedEdits = versionedEdits
    }

    /// What LSP asks, and what VS Code, Helix, eglot and Neovim with the editors/nvim plugin
    /// (which replaces Neovim's `workspace/applyEdit` handler) do.
    public static let strict = EditorTraits(answersTruthfully: true, checksEveryVersion: true)

    /// Neovim's built-in handler (`runtime/lua/vim/lsp/util.lua`, `apply_text_document_edit`):
    /// version checked only when above 0, a skipped edit answered `applied: true`, and a list
    /// of edits applied one by one from the last to the first, each reported as a change.
    /// Versioned edits although Neovim does not advertise `workspaceEdit.documentChanges`
    /// (`protocol.lua` `make_client_capabilities` in 0.11 lists only `resourceOperations`):
    /// `util.apply_workspace_edit` applies `documentChanges` whenever they are there, and with
    /// the unversioned `changes` a built-in handler's client could not be kept exactly-once.
    public static let neovim = EditorTraits(answersTruthfully: false, checksEveryVersion: false)

    /// A client that did not advertise `workspaceEdit.documentChanges`: sent `changes`, taken
    /// to answer truthfully (every client known to answer otherwise is Neovim's, above).
    public static let unversioned = EditorTraits(answersTruthfully: true, checksEveryVersion: false, versionedEdits: false)

    /// The traits of the client that sent `initialize`: its `clientInfo.name`, whether it
    /// advertised `workspace.workspaceEdit.documentChanges`, and whether it said (with
    /// `experimental.mesh.strictApplyEdit`, the editors/nvim plugin) that it replaced Neovim's
    /// handler with one that checks every version and answers truthfully.
    ///
    /// The capability decides between versioned `documentChanges` and `changes`, with one
    /// exception: Neovim's built-in handler gets versioned edits without advertising them
    /// (see ``neovim``).
    public static func client(named name: String, documentChanges: Bool, strictApplyEdit: Bool) -> EditorTraits {
        if name == "Neovim", !strictApplyEdit { return .neovim }
        return documentChanges ? .strict : .unversioned
    }

    /// Whether the editor would refuse an edit at `version` if its buffer had moved on.
    public func checks(version: Int) -> Bool { versionedEdits && (checksEveryVersion || version > 0) }

    /// Whether an edit for a buffer at `version` must wait behind a probe (an empty edit that
    /// makes the editor report a version it checks): only a versioned edit the editor would
    /// not check. An unversioned edit is never checked, and no probe would change that.
    public func needsProbe(atVersion version: Int) -> Bool { versionedEdits && !checks(version: version) }
}
