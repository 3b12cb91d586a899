import Foundation
import MeshOT
import MeshProtocol
import MeshStore

/// Clients' ops that one node hands to the node committing their document (its *writer*,
/// ``ClusterLink/writer(of:)``) instead of committing them itself, while several nodes have
/// writers on it (docs/architecture.md, "One writer per shared document"). Sent as a NOTIFY on
/// the nodes' channel: `f <to> <from> <document> [[baseRev, operation, opId, author], …]`.
///
/// Each op is as its client sent it: the writer transforms it against everything committed since
/// `baseRev`, as for its own clients, and commits it; the append's notification brings it back to
/// the sender, which acknowledges its client then.
struct OpForward: Sendable, Hashable {
    /// An op as its client sent it; a forward's always have an `opId` and an `author` (a user id).
    typealias Op = OTDocument.Submission

    /// The node asked to commit them.
    var to: UUID
    /// The node whose clients sent them.
    var from: UUID
    var document: UUID
    var ops: [Op]

    /// The prefix of every forward addressed to `node` (others skip the rest unread).
    static func prefix(for node: UUID) -> String { "f \(node.uuidString) " }

    /// The notifications carrying the ops, in order, each at most
    /// ``MeshStore/Store/maxNotificationBytes``; nil when one op alone is larger than that, or
    /// lacks its opId or author (they are committed by their own node instead).
    var payloads: [String]? {
        let head = "f \(to.uuidString) \(from.uuidString) \(document.uuidString) "
        let room = Store.maxNotificationBytes - head.utf8.count - 2
        var payloads: [String] = []
        var rows: [String] = []
        var size = 0
        for op in ops {
            guard let opId = op.opId, let author = op.author else { return nil }
            let row = JSONValue.array([JSONValue(op.baseRevision), WireCodec.json(op.operation), .string(opId),
                                       .string(author)]).jsonText
            let bytes = row.utf8.count + 1
            guard bytes <= room else { return nil }
            if size + bytes > room {
                payloads.append(head + "[" + rows.joined(separator: ",") + "]")
                rows.removeAll()
                size = 0
            }
            rows.append(row)
            size += bytes
        }
        if !rows.isEmpty { payloads.append(head + "[" + rows.joined(separator: ",") + "]") }
        return payloads
    }

    init(to: UUID, from: UUID, document: UUID, ops: [Op]) {
        self.to = to
        self.from = from
        self.document = document
        self.ops = ops
    }

    /// A notification's text as a forward; nil when it is not a well-formed one (at least one
    /// op, each a valid operation with a non-negative base revision, an opId a client could have
    /// sent and an author).
    init?(payload: String) {
        let parts = payload.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "f", let to = UUID(uuidString: String(parts[1])),
              let from = UUID(uuidString: String(parts[2])), let document = UUID(uuidString: String(parts[3])),
              let rows = (try? JSONValue.parse(Data(parts[4].utf8)))?.array, !rows.isEmpty else { return nil }
        var ops: [Op] = []
        ops.reserveCapacity(rows.count)
        for row in rows {
            guard let fields = row.array, fields.count == 4, let baseRev = fields[0].int, baseRev >= 0,
                  let operation = WireCodec.operation(fields[1]), let opId = fields[2].string,
                  ClientMessage.Op.isValidOpId(opId),
                  let author = fields[3].string.flatMap(UUID.init(uuidString:))
            else { return nil }
            ops.append(Op(operation: operation, baseRevision: baseRev, opId: opId, author: author.uuidString))
        }
        self.init(to: to, from: from, document: document, ops: ops)
    }
}
