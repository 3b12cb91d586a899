import MeshProtocol

/// The params of a message from the editor, decoded once by its handler.
///
/// Read leniently, as the server always read untyped params: a field that is missing, null or
/// of the wrong type is absent (nil), never an error for the whole message, and params that are
/// not an object at all read as every field absent. Fields a handler cannot do without are
/// optional too, so that each handler still decides how to answer their absence. Each such
/// field is a ``Lenient`` one; the structs' `Codable` is synthesized.
protocol LenientParams: Decodable {
    /// Every field absent.
    init()
}

extension LenientParams {
    /// `params` decoded (``JSONValue/decode(_:)``); all fields absent when they are not an object.
    static func decoded(from params: JSONValue) -> Self {
        (try? params.decode(Self.self)) ?? Self()
    }
}

/// An optional field read leniently: nil when it is missing, null or not a `Value`
/// (``LenientlyDecodable``), never an error for the object that holds it. Encoded as the
/// optional it wraps (a nil one left out).
@propertyWrapper
struct Lenient<Value: LenientlyDecodable>: Codable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    init(from decoder: any Decoder) throws {
        wrappedValue = Value.lenientlyDecoded(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension Lenient: Sendable where Value: Sendable {}
extension Lenient: Equatable where Value: Equatable {}
extension Lenient: Hashable where Value: Hashable {}

extension KeyedDecodingContainer {
    /// A ``Lenient`` field: its value nil when `key` is missing or null (what synthesized
    /// `Decodable` calls for a `@Lenient` property).
    func decode<Value>(_ type: Lenient<Value>.Type, forKey key: Key) throws -> Lenient<Value> {
        (try? decodeIfPresent(type, forKey: key)) ?? Lenient(wrappedValue: nil)
    }
}

extension KeyedEncodingContainer {
    /// A ``Lenient`` field as its optional value: left out when nil.
    mutating func encode<Value>(_ value: Lenient<Value>, forKey key: Key) throws {
        try encodeIfPresent(value.wrappedValue, forKey: key)
    }
}

/// A type a ``Lenient`` field holds: by default a value that decodes as one, else nil.
protocol LenientlyDecodable: Codable {
    /// The value `decoder` holds as a `Self`; nil when it is not one.
    static func lenientlyDecoded(from decoder: any Decoder) -> Self?
}

extension LenientlyDecodable {
    static func lenientlyDecoded(from decoder: any Decoder) -> Self? {
        try? Self(from: decoder)
    }
}

/// A whole number, as ``JSONValue/int`` reads it.
extension Int: LenientlyDecodable {
    static func lenientlyDecoded(from decoder: any Decoder) -> Int? {
        (try? JSONValue(from: decoder))?.int
    }
}

/// An array without its elements that are not an `Element`: decoding it fails only when it is
/// not an array.
extension Array: LenientlyDecodable where Element: LenientlyDecodable {
    static func lenientlyDecoded(from decoder: any Decoder) -> [Element]? {
        (try? [Lenient<Element>](from: decoder))?.compactMap(\.wrappedValue)
    }
}

/// nil where the value is not a `Wrapped`: as an array's elements, a malformed one is kept as
/// nil, in its place.
extension Optional: LenientlyDecodable where Wrapped: LenientlyDecodable {
    static func lenientlyDecoded(from decoder: any Decoder) -> Wrapped?? {
        .some(Wrapped.lenientlyDecoded(from: decoder))
    }
}

extension String: LenientlyDecodable {}
extension Bool: LenientlyDecodable {}
extension JSONValue: LenientlyDecodable {}
extension LSPPosition: LenientlyDecodable {}
extension LSPRange: LenientlyDecodable {}
