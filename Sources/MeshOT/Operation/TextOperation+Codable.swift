/// The compact JSON form of ot.js: a positive integer retains, a negative one deletes, a
/// string inserts — `[5, "abc", -3]`.
extension TextOperation: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        self.init()
        while !container.isAtEnd {
            if let n = try? container.decode(Int.self) {
                guard n != 0 else {
                    throw DecodingError.dataCorruptedError(
                        in: container, debugDescription: "a component of 0 is not allowed")
                }
                if n > 0 { retain(n) } else { delete(-n) }
            } else if let s = try? container.decode(String.self) {
                guard !s.isEmpty else {
                    throw DecodingError.dataCorruptedError(
                        in: container, debugDescription: "an empty insert is not allowed")
                }
                insert(s)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "an operation component must be an integer or a string")
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for component in components {
            switch component {
            case let .retain(n): try container.encode(n)
            case let .insert(s): try container.encode(s)
            case let .delete(n): try container.encode(-n)
            }
        }
    }
}
