import CCurl
import Foundation

extension HTTPClientError {
    /// Wraps a libcurl result at once, keeping libcurl's own message: the detail from its error buffer when it
    /// wrote one ("Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server"), else the
    /// code's text. The URL is named by its origin only (see ``Swift/String/urlOrigin``), and removed from the
    /// detail too.
    init(curlCode: CURLcode, detail: String = "", url: String) {
        let trimmed = detail.trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = trimmed.isEmpty ? String(cString: curl_easy_strerror(curlCode)) : trimmed.redacting(url: url)
        let code: Code
        switch curlCode {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SEND_ERROR,
            CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            code = .unreachable
        case CURLE_OPERATION_TIMEDOUT:
            code = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE:
            code = .tls
        default:
            code = .failed
        }
        self.init(code: code, message: "Request to \(url.urlOrigin) failed: \(reason).")
    }
}
