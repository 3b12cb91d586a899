import Foundation
import MeshClient
import MeshProtocol

/// The editor's folders coming and going: each workspace folder is a ``SharedRoot`` (made at
/// `initialize`, or when `workspace/didChangeWorkspaceFolders` adds it), whose jobs run in a task
/// group of their own in the server's, until the folder is removed or serving ends.
extension LanguageServer {
    /// Makes a root for `folder` (nil: the editor named no folder) and runs its jobs, reporting to
    /// it, in a child task of ``run(_:)``'s group. The initialization options name the first
    /// root's session; the roots after it find theirs in their folders, and log in with the
    /// stored login (an editor's token is for the session it configured, never sent to a server
    /// another folder names).
    @discardableResult
    func addRoot(_ folder: URL?) -> SharedRoot.ID {
        var rootSettings = settings
        if !roots.isEmpty {
            var options = InitializationOptions()
            options.server = settings.options.server
            rootSettings.options = options
        }
        let id = roots.newID()
        let root = SharedRoot(id: id, folder: folder, settings: rootSettings, environment: environment, logger: logger, editor: editor)
        roots.append(root)
        let work = root.background
        background.start { _ in
            await work.serve(BackgroundWork.Inbox { event in await self.deliver(event, to: id) })
        }
        return id
    }

    /// Root `id` leaves: its folder is no longer watched (pending writes are made now), its
    /// connection closes and its jobs are cancelled; messages about it are dropped from now on.
    func removeRoot(_ id: SharedRoot.ID) {
        guard var root = roots.remove(id) else { return }
        if let link = root.leave() {
            background.start { _ in await link.close() }
        }
    }

    /// `workspace/didChangeWorkspaceFolders`: a removed folder's root leaves, an added folder
    /// becomes a root and looks for its session.
    func workspaceFoldersChanged(_ params: DidChangeWorkspaceFoldersParams) {
        for case let folder? in params.event?.removed ?? [] {
            guard let url = EditorSettings.fileURL(folder.uri), let id = roots.root(forFolder: url) else { continue }
            removeRoot(id)
            editor.log("Mesh: \(url.path) left the workspace")
        }
        for case let folder? in params.event?.added ?? [] {
            guard let url = EditorSettings.fileURL(folder.uri), roots.root(forFolder: url) == nil else { continue }
            startSession(addRoot(url))
        }
    }
}
