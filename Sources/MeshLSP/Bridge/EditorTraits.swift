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

    public init(answersTruthfully: Bool, checksEveryVersion: Bool) {
        self.answersTruthfully = answersTruthfully
        self.checksEveryVersion = checksEveryVersion
    }

    /// What LSP asks, and what VS Code, Helix, eglot and Neovim with the editors/nvim plugin
    /// (which replaces Neovim's `workspace/applyEdit` handler) do.
    public static let strict = EditorTraits(answersTruthfully: true, checksEveryVersion: true)

    /// Neovim's built-in handler (`runtime/lua/vim/lsp/util.lua`, `apply_text_document_edit`):
    /// version checked only when above 0, a skipped edit answered `applied: true`, and a list
    /// of edits applied one by one from the last to the first, each reported as a change.
    public static let neovim = EditorTraits(answersTruthfully: false, checksEveryVersion: false)

    /// Whether the editor would refuse an edit at `version` if its buffer had moved on.
    public func checks(version: Int) -> Bool { checksEveryVersion || version > 0 }
}
