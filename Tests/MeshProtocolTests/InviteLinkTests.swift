import Foundation
import Testing
import MeshProtocol

/// `<server>/join/<code>` links: built from a server and a code, parsed back strictly.
@Suite struct InviteLinkTests {
    static let code = "9nmf2Qk_x-Z0aBcDeFgHiJkLmNoPqRsTuVwXyZ01234"

    @Test func aLinkIsTheServerThenJoinThenTheCode() {
        #expect(InviteLink(server: "http://127.0.0.1:7420", code: Self.code).url == "http://127.0.0.1:7420/join/\(Self.code)")
        #expect(InviteLink(server: "https://mesh.example.test/", code: "abc").url == "https://mesh.example.test/join/abc")
    }

    @Test(arguments: [
        ("http://127.0.0.1:7420", "http://127.0.0.1:7420"),
        ("https://mesh.example.test", "https://mesh.example.test"),
        ("HTTP://localhost:7420", "http://localhost:7420"),
        ("http://[::1]:7420", "http://[::1]:7420"),
        ("https://example.test/tools/mesh", "https://example.test/tools/mesh"),
    ])
    func parsingGivesBackTheServerAndCode(_ server: String, _ expected: String) throws {
        let link = try InviteLink(parsing: "  \(server)/join/\(Self.code)\n")
        #expect(link.server == expected)
        #expect(link.code == Self.code)
        #expect(try InviteLink(parsing: link.url) == link)
    }

    @Test(arguments: [
        "127.0.0.1:7420/join/abc",                  // no scheme
        "ftp://127.0.0.1/join/abc",                 // not http(s)
        "file:///join/abc",
        "http:///join/abc",                         // no host
        "http://127.0.0.1:7420",                    // no path
        "http://127.0.0.1:7420/",
        "http://127.0.0.1:7420/join/",              // no code
        "http://127.0.0.1:7420/join",
        "http://127.0.0.1:7420/invite/abc",         // not /join/
        "http://127.0.0.1:7420/join/abc/",          // something after the code
        "http://127.0.0.1:7420/join/abc?x=1",       // query
        "http://127.0.0.1:7420/join/abc#top",       // fragment
        "http://user:pw@127.0.0.1:7420/join/abc",   // user
        "http://127.0.0.1:7420/join/a%2Fb",         // percent-encoding
        "http://127.0.0.1:7420/join/a.b",           // not base64url
        "http://127.0.0.1:7420/join/a b",
        "http://127.0.0.1:99999/join/abc",          // port out of range
        "http://127.0.0.1:/join/abc",
        "http://127.0.0.1:7420/../join/abc",        // dot segment
        "http://127.0.0.1:7420//join/abc",          // empty segment
        "http://exa mple.test/join/abc",
        "http://ex\u{0430}mple.test/join/abc",      // non-ASCII host
    ])
    func parsingIsStrict(_ text: String) {
        #expect(throws: InviteLinkError.self) { try InviteLink(parsing: text) }
    }

    @Test func theErrorNamesTheExpectedForm() {
        do {
            _ = try InviteLink(parsing: "ftp://host/join/abc")
            Issue.record("ftp was accepted")
        } catch {
            #expect("\(error)".contains("http://server/join/CODE"))
        }
    }

    @Test func codesAreBase64URL() {
        #expect(InviteLink.isValidCode(Self.code))
        #expect(InviteLink.isValidCode("-leading-dash-is-fine-in-a-link"))
        #expect(!InviteLink.isValidCode(""))
        #expect(!InviteLink.isValidCode("a/b"))
        #expect(!InviteLink.isValidCode("a=b"))
        #expect(!InviteLink.isValidCode(String(repeating: "a", count: InviteLink.maxCodeLength + 1)))
    }

    @Test func bareCodesAreNotLinks() {
        #expect(!InviteLink.looksLikeLink(Self.code))
        #expect(InviteLink.looksLikeLink("http://127.0.0.1:7420/join/\(Self.code)"))
        #expect(InviteLink.looksLikeLink("127.0.0.1:7420/join/\(Self.code)"))
    }
}
