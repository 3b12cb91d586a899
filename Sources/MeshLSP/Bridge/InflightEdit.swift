import MeshOT

/// The one `workspace/applyEdit` the bridge has sent and not settled yet, and everything the
/// editor reported since it was sent.
///
/// An editor that applies a versioned edit applies it to exactly `base` (the text at the
/// version it names), so its echo is the *first* changes it reports afterwards, with the
/// user's typing after them; an editor that refuses it reports only typing. Which of the two
/// happened is settled from the text those changes produce, the editor's answer when it can
/// be believed, and the order of the answer and the changes (see ``settlement(traits:)``).
///
/// An unversioned edit (`changes`, for a client without `documentChanges`) is applied to
/// whatever the buffer holds when it arrives: after some of the typing reported since, with
/// its ranges resolved against that text. `unversioned` keeps the edits as sent, so that the
/// text they make of each text the editor went through can be recognised (`landing`).
struct InflightEdit: Sendable {
    enum Kind: Sendable {
        /// Remote changes for the editor.
        case edit
        /// An empty edit at version 0, sent only to make Neovim number its buffer (it checks
        /// versions above 0 only); its answer and echo carry no text.
        case probe
    }

    /// How the bridge takes what the editor reported.
    enum Settlement: Equatable {
        /// Not known yet: hold the reported changes.
        case wait
        /// The first `echoLength` reported changes were the edit; the rest are typing.
        case applied(echoLength: Int)
        /// The editor never applied the edit: every reported change is typing.
        case refused
        /// The editor says it applied the edit, but no reported text is the one the edit makes
        /// (an editor that rewrites edits): the text it shows wins, as typing after the edit.
        case unrecognised
        /// An unversioned edit applied after the first `typedBefore` reported changes (typing
        /// that reached the editor before the edit did), its echo ending with change
        /// `echoEnd`; the rest are typing. Its ranges were resolved against a text other
        /// than `base`, so it may have landed off its place: the bridge undoes it where it
        /// landed and sends it again, transformed, as for a refused edit.
        case displaced(typedBefore: Int, echoEnd: Int)
    }

    /// An unversioned edit as sent: LSP edits on `base`, in document order.
    struct Unversioned: Sendable {
        let edits: [LSPTextEdit]
        let encoding: PositionEncoding

        /// What an editor makes of `text` applying these edits to it: every range resolved
        /// against `text` (clamped to it, as editors do), then applied from the last, so
        /// that an earlier edit's text comes first where two land at one place.
        func applied(to text: TextBuffer) -> TextBuffer {
            let resolved = edits.map { edit in
                let start = text.offset(at: edit.range.start, encoding: encoding)
                return (start: start, end: max(start, text.offset(at: edit.range.end, encoding: encoding)), text: edit.newText)
            }
            var result = text
            for edit in resolved.reversed() { result.replace(edit.start..<edit.end, with: edit.text) }
            return result
        }
    }

    let id: Int
    let kind: Kind
    /// The editor text the edit applies to, at `version`.
    let base: TextBuffer
    let version: Int
    /// The text it makes, and the operation from `base` to it.
    let expected: TextBuffer
    let operation: TextOperation
    /// For an editor applying the edits one by one from the last (Neovim): the texts it
    /// passes through, ending with `expected` twice (the second after the empty edit that
    /// seals the list, ``EditorSync/seal``).
    let waypoints: [TextBuffer]
    /// For an unversioned edit: the edits as sent (nil for a versioned edit).
    let unversioned: Unversioned?

    /// The editor's changes since the edit was sent, each as an operation on the text before
    /// it, and the text and version after the last.
    private(set) var steps: [TextOperation] = []
    private(set) var running: TextBuffer
    private(set) var latestVersion: Int
    /// How many leading steps make `expected` (the first time the text equals it).
    private(set) var echoLength: Int?
    /// The first step whose text is not where an editor applying the edits one at a time
    /// would be: from there on the changes cannot be the echo.
    private(set) var offPathAt: Int?
    /// The editor's answer, and whether it reported changes after answering.
    private(set) var answer: Bool?
    private(set) var changedSinceAnswer = false
    /// For an unversioned edit: what it makes of the text after k reported changes, at index
    /// k (`expected` at 0), as far as needed.
    private var landings: [TextBuffer] = []
    /// For an unversioned edit: the first changes found to be its echo, all in one report,
    /// applied to the text after `typedBefore` changes and ending with change `echoEnd`
    /// (1-based).
    private(set) var landing: (typedBefore: Int, echoEnd: Int)?

    init(id: Int, kind: Kind, base: TextBuffer, version: Int, operation: TextOperation,
         expected: TextBuffer, waypoints: [TextBuffer], unversioned: Unversioned? = nil) {
        self.id = id
        self.kind = kind
        self.base = base
        self.version = version
        self.operation = operation
        self.expected = expected
        self.waypoints = waypoints
        self.unversioned = unversioned
        running = base
        latestVersion = version
        if unversioned != nil { landings = [expected] }
    }

    /// Records one `didChange`: its changes, in order, and the version it reports.
    mutating func record(_ changes: [TextOperation], version: Int) throws(OTError) {
        // An editor reports the changes of one edit it applied in one `didChange` (possibly
        // with typing around them): an unversioned edit's echo is looked for within this one.
        // (Across reports, typing that the misplaced edit deleted again would pass for part of
        // the echo, and be lost.)
        let reportStart = steps.count
        for step in changes {
            if let unversioned, landing == nil, landings.count == steps.count {
                // The edit may arrive at the text as it is before this change.
                landings.append(unversioned.applied(to: running))
            }
            try step.apply(to: &running)
            steps.append(step)
            let n = steps.count
            if echoLength == nil, running.count == expected.count, running == expected { echoLength = n }
            if offPathAt == nil, !(n <= waypoints.count && running.count == waypoints[n - 1].count && running == waypoints[n - 1]) {
                offPathAt = n
            }
            if unversioned != nil, landing == nil,
               let k = (reportStart..<landings.count).first(where: { landings[$0].count == running.count && landings[$0] == running }) {
                landing = (k, n)
            }
        }
        latestVersion = version
        if answer != nil { changedSinceAnswer = true }
    }

    mutating func answered(_ applied: Bool) {
        guard answer == nil else { return }
        answer = applied
    }

    /// What the reports so far make of the edit when no more will come (its buffer closed):
    /// ``settlement(traits:)`` where that decides; otherwise the echo where the text reached
    /// what the edit makes (or where it landed), nothing typed where every report so far is on
    /// Neovim's echo path or none came after an `applied: true`, typing after the edit where
    /// that answer came with changes that never made its text, and else every report is typing
    /// (the editor never applied the edit). Two guesses remain where the reports cannot tell:
    /// typing that makes exactly the edit's text is taken for its echo (as without the seal),
    /// and an editor that reported its echo and typing as one whole-text change has its report
    /// taken for typing. Both need a buffer closed within the edit's round trip.
    func finalSettlement(traits: EditorTraits) -> Settlement {
        let settled = settlement(traits: traits)
        guard settled == .wait else { return settled }
        if kind == .probe { return .refused }
        if unversioned != nil, let landing {
            return landing.typedBefore == 0 ? .applied(echoLength: landing.echoEnd)
                                            : .displaced(typedBefore: landing.typedBefore, echoEnd: landing.echoEnd)
        }
        if unversioned == nil, traits.answersTruthfully, let echoLength { return .applied(echoLength: echoLength) }
        if unversioned == nil, !traits.answersTruthfully { return .applied(echoLength: steps.count) }
        if answer == true { return steps.isEmpty ? .applied(echoLength: 0) : .unrecognised }
        return .refused
    }

    /// What the reports so far prove.
    ///
    /// - An editor that answers truthfully settles it with its answer; after `applied: true`
    ///   the echo is the changes up to the first text equal to `expected`.
    /// - Neovim's answer says nothing. It applies an edit only to `base` and reports the edits
    ///   of a list one by one (several `didChange`s at debounce 0), so the echo is exactly the
    ///   first `waypoints.count` changes, passing through `waypoints` and ending with the seal's
    ///   change that changes nothing; a change off that path is typing, and so is everything
    ///   when the path ended short once a `didChange` came after the answer (by then Neovim
    ///   has reported the whole echo: at debounce 0 before answering, otherwise in the first
    ///   `didChange` after). Typing that makes the edit's very text is not its echo: it makes
    ///   no empty change after it.
    /// - A probe is settled by any change at a version the editor checks.
    /// - An unversioned edit is settled by the answer (only truthful clients are sent one):
    ///   after `applied: true`, the echo is the first run of changes of one `didChange` that
    ///   takes one of the texts the editor went through to what the edit makes of that text
    ///   (the earliest such text in that report); typing before it
    ///   means the edit was applied to another text than the bridge's (`displaced`). An edit
    ///   that makes nothing of the text as it is now was applied to it without a change.
    func settlement(traits: EditorTraits) -> Settlement {
        switch kind {
        case .probe:
            if answer == false { return .refused }
            return !steps.isEmpty && traits.checks(version: latestVersion) ? .refused : .wait
        case .edit where unversioned != nil:
            switch answer {
            case false?: return .refused
            case true?:
                if let landing {
                    return landing.typedBefore == 0 ? .applied(echoLength: landing.echoEnd)
                                                    : .displaced(typedBefore: landing.typedBefore, echoEnd: landing.echoEnd)
                }
                // Its ranges resolved to nothing in the text the editor has now (a deletion
                // clamped to an empty range): applied there, it changed nothing.
                if let unversioned, unversioned.applied(to: running) == running { return .refused }
                return changedSinceAnswer ? .unrecognised : .wait
            case nil: return .wait
            }
        case .edit where traits.answersTruthfully:
            switch answer {
            case false?: return .refused
            case true?:
                if let echoLength { return .applied(echoLength: echoLength) }
                return changedSinceAnswer ? .unrecognised : .wait
            case nil: return .wait
            }
        case .edit:
            let path = waypoints.count
            if let offPathAt, offPathAt <= path { return .refused }
            if steps.count >= path { return .applied(echoLength: path) }
            return answer != nil && changedSinceAnswer ? .refused : .wait
        }
    }
}
