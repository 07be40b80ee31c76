import Foundation
import Hummingbird
import NoroshiCore

/// Reading request bodies and writing responses as JSON, with errors that name the field at fault.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(NoroshiError) -> T {
        guard !data.isEmpty else { throw NoroshiError(.malformed, "The request body is empty; send a JSON object.") }
        do {
            return try JSONDecoder.noroshi().decode(type, from: data)
        } catch let error as DecodingError {
            throw NoroshiError(.malformed, describe(error))
        } catch {
            throw NoroshiError(.malformed, "The request body is not valid JSON.")
        }
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
