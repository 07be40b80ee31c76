import Foundation
import Hummingbird
import NoroshiCore

/// Reading request bodies and writing responses as JSON, with errors that name the field at fault.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(NoroshiError) -> T {
        guard !data.isEmpty else { throw NoroshiError(.malformed, "The request body is empty; send a JSON object.") }
        let shape = JSONShape([UInt8](data))
        if let (path, key) = shape.duplicate {
            let at = path.isEmpty ? "The JSON object" : "The JSON object '\(path.prefix(80))'"
            throw NoroshiError(.malformed, "\(at) gives the key '\(key.prefix(80))' twice; send each key once.")
        }
        do {
            return try JSONDecoder.noroshi().decode(type, from: data)
        } catch let error as DecodingError {
            if let path = shape.hugeInteger { throw tooLarge(path) }
            throw NoroshiError(.malformed, describe(error))
        } catch {
            if let path = shape.hugeInteger { throw tooLarge(path) }
            throw NoroshiError(.malformed, "The request body is not valid JSON.")
        }
    }

    private static func tooLarge(_ path: String) -> NoroshiError {
        NoroshiError(
            .invalidInput,
            "Field '\(path.prefix(80))' holds a whole number beyond ±9223372036854775807, larger than any value it takes."
        )
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let full = path(context.codingPath + [key])
            return "Field '\(full)' is missing."
        case .typeMismatch(let type, let context):
            return "Field '\(path(context.codingPath))' has the wrong type; expected \(typeName(type))."
        case .valueNotFound(let type, let context):
            return "Field '\(path(context.codingPath))' is null; expected \(typeName(type))."
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "The request body is not valid JSON." }
            return "Field '\(path(context.codingPath))' has an invalid value."
        @unknown default:
            return "The request body is not valid JSON."
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        case is Bool.Type: "true or false"
        default: "an object"
        }
    }
}

/// Builds JSON responses.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        // Receipts, answered once per report, write themselves; everything else goes through JSONEncoder.
        let bytes: ByteBuffer
        if let writable = value as? any JSONWritable {
            bytes = ByteBuffer(bytes: writable.jsonBytes())
        } else {
            bytes = ByteBuffer(bytes: try JSONEncoder.noroshi().encode(value))
        }
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: bytes)
        )
    }
}

/// A pass over a JSON body's bytes for what the decoder lets through or explains badly: a key given twice in
/// one object (the decoder silently kept one of them), and an integer too large for 64 bits (which it calls
/// "not valid JSON"). It assumes nothing about validity; the decoder judges that.
struct JSONShape {
    /// The first repeated key, as `path` and `key`.
    var duplicate: (path: String, key: String)?
    /// The path of the first integer beyond ±9223372036854775807.
    var hugeInteger: String?

    init(_ bytes: [UInt8]) {
        var index = 0
        // One entry per open container: its keys so far (nil for an array) and the path to it.
        var stack: [(keys: Set<[UInt8]>?, path: String)] = []
        var pendingKey: String?
        func currentPath() -> String {
            let base = stack.last?.path ?? ""
            guard let key = pendingKey else { return base }
            return base.isEmpty ? key : base + "." + key
        }
        while index < bytes.count, duplicate == nil {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append((byte == UInt8(ascii: "{") ? [] : nil, currentPath()))
                pendingKey = nil
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                pendingKey = nil
                index += 1
            case UInt8(ascii: "\""):
                var end = index + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                let content = Array(bytes[(index + 1)..<min(end, bytes.count)])
                index = end + 1
                // A string directly followed by ':' is a key of the innermost object.
                var next = index
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: ":"), let keys = stack.last?.keys {
                    let key = String(decoding: content, as: UTF8.self)
                    if keys.contains(content) {
                        duplicate = (stack.last?.path ?? "", key)
                    } else {
                        stack[stack.count - 1].keys?.insert(content)
                    }
                    pendingKey = key
                    index = next + 1
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var end = index
                var integer = true
                while end < bytes.count, "+-0123456789.eE".utf8.contains(bytes[end]) {
                    if "eE.".utf8.contains(bytes[end]) { integer = false }
                    end += 1
                }
                if integer, hugeInteger == nil, Int64(String(decoding: bytes[index..<end], as: UTF8.self)) == nil {
                    hugeInteger = currentPath()
                }
                index = end
            case UInt8(ascii: ","):
                pendingKey = nil
                index += 1
            default:
                index += 1
            }
        }
    }
}
