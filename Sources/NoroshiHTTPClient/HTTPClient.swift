import CCurl
import Foundation

/// A small, blocking HTTP client on libcurl: the one way Noroshi speaks HTTP to the outside.
///
/// Timeouts, an optional proxy, TLS verification on by default and an optional CA bundle, as the
/// closed government networks Noroshi runs in need. Each call uses its own curl handle and connection, so
/// one client may be shared between threads. Calls block: from async code use ``send(_:)``, which runs
/// the transfer on a thread of its own, off the cooperative pool. For many requests in a row to one server,
/// ``HTTPSession`` keeps the connection open.
///
/// ```swift
/// let client = HTTPClient()
/// let response = try client.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:8080/healthz"))
/// ```
public struct HTTPClient: Sendable {
    /// Settings for every request this client makes.
    public struct Configuration: Sendable, Hashable {
        /// The longest a whole transfer may take.
        public var timeout: Duration
        /// The longest connecting may take.
        public var connectTimeout: Duration
        /// An HTTP(S) proxy such as `http://proxy.example.lg.jp:8080`; nil uses curl's environment handling.
        public var proxy: String?
        /// Verify the server's TLS certificate and host name. Leave on outside tests.
        public var verifyTLS: Bool
        /// A PEM file of CA certificates to trust instead of the system's.
        public var caBundle: String?
        /// The largest response body accepted.
        public var maxResponseBytes: Int

        public init(
            timeout: Duration = .seconds(30),
            connectTimeout: Duration = .seconds(5),
            proxy: String? = nil,
            verifyTLS: Bool = true,
            caBundle: String? = nil,
            maxResponseBytes: Int = 64 << 20
        ) {
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.proxy = proxy
            self.verifyTLS = verifyTLS
            self.caBundle = caBundle
            self.maxResponseBytes = maxResponseBytes
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        Self.globalInit
        self.configuration = configuration
    }

    /// curl_global_init is not thread-safe; Swift runs a static's initialiser exactly once.
    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// Performs a request on a thread of its own and returns the response, without blocking the cooperative pool.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let result: Result<HTTPResponse, HTTPClientError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(HTTPClientError) in try self.perform(request) })
            }
            thread.start()
        }
        return try result.get()
    }

    /// Performs a request, blocking the calling thread until the response is complete.
    ///
    /// `progress` is called on the calling thread as the body goes out (often, and with unchanged values
    /// too: throttle any drawing).
    public func perform(
        _ request: HTTPRequest,
        progress: ((HTTPProgress) -> Void)? = nil
    ) throws(HTTPClientError) -> HTTPResponse {
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(code: .failed, message: "Cannot create a libcurl handle.")
        }
        defer { curl_easy_cleanup(handle) }
        return try transfer(request, on: handle, progress: progress)
    }

    /// Runs one request on a curl handle; a handle used again keeps its connection open (HTTP keep-alive).
    /// Every option is set afresh, so nothing of an earlier request (a body, HEAD) carries over.
    func transfer(
        _ request: HTTPRequest,
        on handle: UnsafeMutableRawPointer,
        progress: ((HTTPProgress) -> Void)? = nil
    ) throws(HTTPClientError) -> HTTPResponse {
        curl_easy_reset(handle)  // keeps the live connections, the DNS cache and the TLS session cache
        let sink = ResponseSink(limit: configuration.maxResponseBytes, progress: progress)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var fileSize: Int64 = 0
        if let path = request.bodyFile {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            guard fd >= 0, fstat(fd, &info) == 0 else {
                let reason = String(cString: strerror(errno))
                if fd >= 0 { close(fd) }
                throw HTTPClientError(code: .failed, message: "Cannot read '\(path)': \(reason).")
            }
            let offset = request.bodyFileOffset
            guard offset >= 0, offset <= Int64(info.st_size), lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                close(fd)
                throw HTTPClientError(code: .failed, message: "Cannot read '\(path)' from byte \(offset).")
            }
            sink.bodyFile = fd
            fileSize = Int64(info.st_size) - offset
            sink.bodyRemaining = fileSize
        }
        defer { if sink.bodyFile >= 0 { close(sink.bodyFile) } }
        if let path = request.responseFile {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw HTTPClientError(
                    code: .failed, message: "Cannot write '\(path)': \(String(cString: strerror(errno))).")
            }
            sink.responseFile = fd
            sink.handle = handle
        }
        defer { if sink.responseFile >= 0 { close(sink.responseFile) } }

        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // Let the server answer 413 without waiting for a 100-continue that curl would otherwise ask for.
        headerList = curl_slist_append(headerList, "Expect:")

        // libcurl's own words for a failure (CURLOPT_ERRORBUFFER): more precise than the code's text.
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        func failure(_ code: CURLcode) -> HTTPClientError {
            HTTPClientError(curlCode: code, detail: String(cString: errorBuffer), url: request.url)
        }

        let body = request.body ?? Data()
        let outcome = body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<HTTPResponse, HTTPClientError> in
            let unmanagedSink = Unmanaged.passUnretained(sink).toOpaque()
            var code = CURLE_OK
            func set(_ result: CURLcode) {
                if code == CURLE_OK { code = result }
            }
            set(noroshi_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
            set(noroshi_curl_setopt_string(handle, CURLOPT_URL, request.url))
            set(noroshi_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
            // Progress and the stall timeout then count bytes that left, not bytes the kernel took (see shim.h).
            set(noroshi_curl_setopt_small_send_backlog(handle))
            set(
                noroshi_curl_setopt_long(
                    handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? configuration.timeout)))
            let stall = request.stallTimeout.map { max(1, Self.milliseconds($0) / 1000) } ?? 0
            set(noroshi_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, stall > 0 ? 1 : 0))
            set(noroshi_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, stall))
            set(
                noroshi_curl_setopt_long(
                    handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)))
            set(noroshi_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, configuration.verifyTLS ? 1 : 0))
            set(noroshi_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, configuration.verifyTLS ? 2 : 0))
            if let caBundle = configuration.caBundle {
                set(noroshi_curl_setopt_string(handle, CURLOPT_CAINFO, caBundle))
            }
            if let proxy = configuration.proxy { set(noroshi_curl_setopt_string(handle, CURLOPT_PROXY, proxy)) }
            set(noroshi_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
            if request.method == "HEAD" { set(noroshi_curl_setopt_long(handle, CURLOPT_NOBODY, 1)) }
            if request.bodyFile != nil {
                // POST carries the body; CURLOPT_CUSTOMREQUEST above names the method (PATCH for tus).
                set(noroshi_curl_setopt_long(handle, CURLOPT_POST, 1))
                set(noroshi_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil))
                set(noroshi_curl_setopt_read_function(handle, curlReadBody))
                set(noroshi_curl_setopt_pointer(handle, CURLOPT_READDATA, unmanagedSink))
                set(noroshi_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(fileSize)))
            } else if request.body != nil {
                set(
                    noroshi_curl_setopt_pointer(
                        handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                set(noroshi_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(raw.count)))
            }
            set(noroshi_curl_setopt_long(handle, CURLOPT_NOPROGRESS, progress == nil ? 1 : 0))
            if progress != nil {
                set(noroshi_curl_setopt_xferinfo_function(handle, curlProgress))
                set(noroshi_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, unmanagedSink))
            }
            set(noroshi_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList)))
            set(noroshi_curl_setopt_write_function(handle, curlWriteBody))
            set(noroshi_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanagedSink))
            set(noroshi_curl_setopt_header_function(handle, curlWriteHeader))
            set(noroshi_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanagedSink))
            guard code == CURLE_OK else { return .failure(failure(code)) }

            let performed = curl_easy_perform(handle)
            if let readError = sink.readError {
                return .failure(HTTPClientError(code: .failed, message: readError))
            }
            if sink.overflowed {
                return .failure(
                    HTTPClientError(
                        code: .failed,
                        message: "The response from \(request.url.urlOrigin) is larger than \(sink.limit) bytes."))
            }
            if let writeError = sink.writeError { return .failure(HTTPClientError(code: .failed, message: writeError)) }
            guard performed == CURLE_OK else { return .failure(failure(performed)) }
            var status = 0
            _ = noroshi_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            if let path = request.responseFile, !(200..<300).contains(status) {
                // An error's body (the API's JSON) stayed in memory; the empty file is not left behind.
                var info = stat()
                if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size == 0 { unlink(path) }
            }
            return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
        }
        return try outcome.get()
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// Feeds a body file to curl and collects the response while curl delivers it; one per transfer, touched
/// only by that transfer's thread.
private final class ResponseSink {
    let limit: Int
    let progress: ((HTTPProgress) -> Void)?
    var body = Data()
    var headers: [(String, String)] = []
    var overflowed = false
    /// The open body file, or -1.
    var bodyFile: Int32 = -1
    /// Bytes of the body file still to send.
    var bodyRemaining: Int64 = 0
    var readError: String?
    /// The open response file, or -1; it takes the body only of a 2xx answer (decided at the first bytes).
    var responseFile: Int32 = -1
    var handle: UnsafeMutableRawPointer?
    var toFile: Bool?
    var writeError: String?

    init(limit: Int, progress: ((HTTPProgress) -> Void)?) {
        self.limit = limit
        self.progress = progress
    }
}

private func curlReadBody(
    buffer: UnsafeMutablePointer<CChar>?, size: Int, count: Int, context: UnsafeMutableRawPointer?
)
    -> Int
{
    guard let buffer, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    while true {
        let wanted = Int(min(Int64(size * count), sink.bodyRemaining))
        guard wanted > 0 else { return 0 }
        let got = read(sink.bodyFile, buffer, wanted)
        if got >= 0 {
            sink.bodyRemaining -= Int64(got)
            return got
        }
        if errno == EINTR { continue }
        sink.readError = "Reading the body file failed: \(String(cString: strerror(errno)))."
        return Int(CURL_READFUNC_ABORT)
    }
}

private func curlProgress(
    context: UnsafeMutableRawPointer?,
    downloadTotal: curl_off_t,
    downloadNow: curl_off_t,
    uploadTotal: curl_off_t,
    uploadNow: curl_off_t
) -> Int32 {
    guard let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    sink.progress?(HTTPProgress(sent: Int64(uploadNow), total: Int64(uploadTotal)))
    return 0
}

private func curlWriteBody(data: UnsafeMutablePointer<CChar>?, size: Int, count: Int, context: UnsafeMutableRawPointer?)
    -> Int
{
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if sink.responseFile >= 0, sink.toFile == nil {
        var status = 0
        if let handle = sink.handle { _ = noroshi_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status) }
        sink.toFile = (200..<300).contains(status)
    }
    if sink.toFile == true {
        var done = 0
        while done < length {
            let wrote = write(sink.responseFile, data + done, length - done)
            if wrote > 0 {
                done += wrote
            } else if wrote < 0 && errno == EINTR {
                continue
            } else {
                sink.writeError = "Writing the response to a file failed: \(String(cString: strerror(errno)))."
                return 0
            }
        }
        return length
    }
    guard sink.body.count + length <= sink.limit else {
        sink.overflowed = true
        return 0
    }
    sink.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
    return length
}

private func curlWriteHeader(
    data: UnsafeMutablePointer<CChar>?,
    size: Int,
    count: Int,
    context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        sink.headers = []  // a new response (after a redirect or 100 Continue) starts over
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        sink.headers.append((name, value))
    }
    return length
}
