import NoroshiHTTPClient
import Testing

/// What of a URL an error message may name: its scheme, host and port, never its path, query or user.
@Suite struct URLOriginTests {
    @Test(arguments: [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/…"),
        (
            "https://prod-12.japaneast.logic.azure.com:443/workflows/abc/triggers?sig=s3cr3t",
            "https://prod-12.japaneast.logic.azure.com:443/…"
        ),
        ("http://127.0.0.1:8008", "http://127.0.0.1:8008"),
        ("http://user:pass@chat.example.lg.jp/hook", "http://chat.example.lg.jp/…"),
        ("https://chat.example.lg.jp?token=abc", "https://chat.example.lg.jp/…"),
        ("hooks.slack.com/services/T000/B000/XXXX", "(not a URL)"),
        ("", "(not a URL)"),
    ])
    func anErrorNamesOnlyWhereAURLPoints(url: String, origin: String) {
        #expect(url.urlOrigin == origin)
    }

    @Test func textThatRepeatsTheURLOrItsPathLosesThem() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXX"
        let text = "no_service at \(url) (path /services/T000/B000/XXXX); see https://api.slack.com/"
        #expect(
            text.redacting(url: url)
                == "no_service at https://hooks.slack.com/… (path /…); see https://api.slack.com/")
        #expect("Couldn't connect to server".redacting(url: url) == "Couldn't connect to server")
        #expect("a / b".redacting(url: "http://host/") == "a / b")
    }
}
