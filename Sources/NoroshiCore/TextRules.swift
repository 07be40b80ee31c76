/// What a stored text may hold: no control characters but tab and newline. A NUL used to cut a text short
/// in storage (201, and less stored than was sent); other controls hide in pages and terminals.
public enum TextRules {
    /// Refuses `value` when it holds a control character other than tab or line feed, naming the field and
    /// the character's position.
    public static func check(_ value: String, field: String) throws(NoroshiError) {
        var position = 0
        for scalar in value.unicodeScalars {
            position += 1
            let v = scalar.value
            if (v < 0x20 && v != 0x09 && v != 0x0A) || (0x7F...0x9F).contains(v) {
                let name = v == 0 ? "a NUL character" : v == 0x0D ? "a carriage return" : "a control character"
                let hint = v == 0x0D ? " Send line breaks as \\n alone." : ""
                throw NoroshiError(
                    .invalidInput,
                    "Field '\(field)' holds \(name) (U+\(String(v, radix: 16, uppercase: true).leftPadded(4))) at "
                        + "character \(position); text may hold tabs and line breaks, no other control characters."
                        + hint)
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
