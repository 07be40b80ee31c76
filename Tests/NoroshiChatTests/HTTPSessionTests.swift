import Foundation
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// The kept-alive connection each chat room sends over, against the loopback server.
@Suite struct HTTPSessionTests {
    @Test func requestsInARowShareOneConnectionAndNothingCarriesOver() async throws {
        let receiver = try WebhookReceiver()
        let session = HTTPSession(client: HTTPClient())
        let post = HTTPRequest(
            method: "POST", url: receiver.url("/one"), headers: [("X-Test", "first")], body: Data("payload".utf8))
        let first = try await session.send(post)
        let second = try await session.send(HTTPRequest(method: "GET", url: receiver.url("/two")))
        let third = try await session.send(
            HTTPRequest(method: "POST", url: receiver.url("/three"), body: Data("3".utf8)))
        #expect(first.status == 200 && second.status == 200 && third.status == 200)

        let requests = receiver.requests
        #expect(requests.map(\.target) == ["/one", "/two", "/three"])
        #expect(Set(requests.map(\.connection)).count == 1)
        // The GET after a POST carries neither its body nor its headers.
        #expect(requests[1].method == "GET" && requests[1].body.isEmpty)
        #expect(requests[1].headers["x-test"] == nil && requests[1].headers["content-length"] == nil)
        #expect(requests[2].body == Data("3".utf8))
    }

    @Test func aConnectionTheServerDroppedIsReplacedWithoutLosingTheRequest() async throws {
        let receiver = try WebhookReceiver()
        receiver.script([.hangUpAfter(.respond(status: 200))])
        let session = HTTPSession(client: HTTPClient())
        let first = try await session.send(HTTPRequest(method: "POST", url: receiver.url(), body: Data("1".utf8)))
        try await Task.sleep(for: .milliseconds(100))  // the server has closed its end by now
        let second = try await session.send(HTTPRequest(method: "POST", url: receiver.url(), body: Data("2".utf8)))
        #expect(first.status == 200 && second.status == 200)

        let requests = receiver.requests
        #expect(requests.map(\.body) == [Data("1".utf8), Data("2".utf8)])
        #expect(requests[0].connection != requests[1].connection)
    }

    @Test func separateSessionsUseSeparateConnections() async throws {
        let receiver = try WebhookReceiver()
        let client = HTTPClient()
        let (one, two) = (HTTPSession(client: client), HTTPSession(client: client))
        _ = try await one.send(HTTPRequest(method: "GET", url: receiver.url()))
        _ = try await two.send(HTTPRequest(method: "GET", url: receiver.url()))
        _ = try await one.send(HTTPRequest(method: "GET", url: receiver.url()))
        let connections = receiver.requests.map(\.connection)
        #expect(connections.count == 3)
        #expect(connections[0] == connections[2] && connections[0] != connections[1])
    }
}
