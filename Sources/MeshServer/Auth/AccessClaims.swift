import Foundation
import JWTKit

/// The claims of a Mesh access token (HS256, short-lived). `exp` is checked here; `iss` and
/// `aud` by ``TokenService``, which knows the expected values.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    /// The display name at issue time, for presence labels.
    var name: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
