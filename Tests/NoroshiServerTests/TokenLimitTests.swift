import Foundation
import NoroshiCore
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// Token expiry, last use and the limit on failed authentications (issue 17, item 6).
@Suite struct TokenLimitTests {
    @Test func anExpiredTokenIsRefusedSayingWhenItExpired() async throws {
        let clock = ManualClock(Date())
        try await TestServer.run(clock: clock) { server in
            let (info, secret) = try await server.store.createToken(
                name: "Visiting team", role: .hq, expiresAt: clock.now().addingTimeInterval(3600))
            #expect(info.expiresAt != nil && info.lastUsedAt == nil)
            #expect(try await server.request("GET", "/v1/incidents", token: secret).status == 200)
            let used = try await server.store.tokens().first { $0.id == info.id }
            #expect(used?.lastUsedAt == Date(millisecondsSince1970: clock.now().millisecondsSince1970))

            clock.advance(by: 3601)
            let refused = try await server.request("GET", "/v1/incidents", token: secret)
            #expect(refused.status == 401)
            #expect(refused.text.contains("The bearer token 'Visiting team' expired at"), "\(refused.text)")
            await #expect(throws: NoroshiError.self) {
                try await server.store.createToken(
                    name: "Past", role: .hq, expiresAt: clock.now().addingTimeInterval(-1))
            }
        }
    }

    /// Regression (issue 17, item 3): a token name took any control character, and it shows in the timeline,
    /// on the board and in terminal tables.
    @Test(arguments: ["HQ\u{0}admin", "HQ\u{1B}[31madmin", "HQ\nadmin", "HQ\tadmin"])
    func aTokenNameIsOneLineOfText(name: String) async throws {
        try await TestServer.run { server in
            let admin = try await server.token(.admin)
            let body = String(
                decoding: try JSONSerialization.data(withJSONObject: ["name": name, "role": "hq"]), as: UTF8.self)
            let refused = try await server.request("POST", "/v1/tokens", token: admin, body: body)
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.text.contains("name"), "\(refused.text)")
            #expect(try await server.store.tokens().count == 1)
        }
    }

    static func threeFailures(_ configuration: inout NoroshiConfiguration) {
        configuration.signInFailuresPerMinute = 3
    }

    @Test func anAddressThatKeepsFailingIsToldToWaitAndOthersAreNot() async throws {
        try await TestServer.run(configure: Self.threeFailures) { server in
            let valid = try await server.token(.hq)
            for _ in 0..<3 {
                #expect(try await server.request("GET", "/v1/incidents", token: "nrs_guess").status == 401)
            }
            let refused = try await server.request("GET", "/v1/incidents", token: "nrs_guess")
            #expect(refused.status == 429)
            #expect(refused.text.contains(#""code":"too_many_requests""#) && refused.text.contains("try again in"))
            let wait = try #require(refused.header("Retry-After").flatMap(Int.init))
            #expect((1...60).contains(wait))
            // While it waits, credentials from this address are not even looked at; requests without are served.
            #expect(try await server.request("GET", "/v1/incidents", token: valid).status == 429)
            #expect(try await server.request("GET", "/healthz").status == 200)
        }
    }
}
