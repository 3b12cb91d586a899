import Foundation
import HTTPTypes
import Hummingbird
import MeshProtocol
import MeshStore

/// `POST /v1/ws-ticket`: a single-use ticket that opens `/v1/ws` in a session the caller is a
/// member of (``WebSocketTickets``). For browsers, whose page holds no token; any login works.
struct WebSocketTicketController {
    let tickets: WebSocketTickets
    let store: Store

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.post("ws-ticket", use: issue)
    }

    @Sendable func issue(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<WebSocketTicket> {
        _ = try context.requireUser()
        let body = try await request.decodeSmall(as: WebSocketTicketRequest.self, context: context)
        let (user, session, _) = try await SessionAccess(store: store).member(context, session: body.session)
        guard let ticket = try await tickets.issue(user: user.id, session: session.id) else {
            throw ApiError(.tooManyRequests, .rateLimited,
                           "you hold \(WebSocketTickets.maxOutstanding) unused tickets; use one or wait \(Int(tickets.settings.webSocketTicketLifetime)) s")
        }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return .init(status: .created, headers: headers, response: ticket)
    }
}
