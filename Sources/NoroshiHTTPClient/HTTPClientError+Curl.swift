import CCurl

extension HTTPClientError {
    /// Wraps a libcurl result at once, keeping libcurl's own message.
    init(curlCode: CURLcode, url: String) {
        let reason = String(cString: curl_easy_strerror(curlCode))
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
        self.init(code: code, message: "Request to \(url) failed: \(reason).")
    }
}
