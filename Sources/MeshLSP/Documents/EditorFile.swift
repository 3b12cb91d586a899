import MeshOT

/// A file the editor has open.
struct EditorFile {
    var uri: String
    /// Its session path, when it lies inside the workspace.
    var path: String?
    var version: Int
    /// The editor's text while the file is not bridged to a session document yet.
    var draft: TextBuffer?
    /// The text the editor opened the file with (until it is bridged).
    var opened: TextBuffer?
    /// What the user typed since the open, as one operation on `opened` (until it is bridged):
    /// merged into the session's text when that differs from `opened`, never dropped.
    var typed: TextOperation?
    /// Changes the editor reported exactly (`mesh/exactChange`) and no `didChange` reported yet.
    var exact: [ExactChange] = []
}
