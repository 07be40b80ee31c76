extension Sequence<UInt8> {
    /// Lower-case hexadecimal, two digits a byte: how SHA-256 names and HMAC signatures are written.
    public var hexEncoded: String {
        let digits = JSONWriter.hexDigits
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
