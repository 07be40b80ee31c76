extension String {
    /// The URL cut to its scheme, host and port, for error messages and logs: `https://hooks.slack.com/…`.
    ///
    /// A Slack or Teams incoming webhook's URL *is* its secret (the path holds it), and other URLs carry tokens
    /// in their query, so no message Noroshi writes names more of a URL than where it points. User information
    /// (`user:password@`) goes too. A string that is not a URL is named as such, never echoed.
    public var urlOrigin: String {
        guard let schemeEnd = range(of: "://") else { return "(not a URL)" }
        let scheme = self[..<schemeEnd.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return "(not a URL)" }
        let rest = self[schemeEnd.upperBound...]
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let cut = authority.count < rest.count
        return "\(scheme)://\(authority)\(cut ? "/…" : "")"
    }

    /// This text with every appearance of `url`, and of what follows its host, replaced by ``urlOrigin``'s
    /// form: for text that came from elsewhere (libcurl's error buffer, a server's error body) and might repeat
    /// the URL.
    public func redacting(url: String) -> String {
        var text = self
        if !url.isEmpty { text = text.replacingOccurrences(of: url, with: url.urlOrigin) }
        if let schemeEnd = url.range(of: "://"),
            let pathStart = url[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" })
        {
            let secretPart = String(url[pathStart...])
            // A bare "/" says nothing; anything longer may be the secret.
            if secretPart.count > 1 { text = text.replacingOccurrences(of: secretPart, with: "/…") }
        }
        return text
    }
}
