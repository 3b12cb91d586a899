import MeshProtocol

/// The params of a message from the editor, decoded once by its handler.
///
/// Read leniently, as the server always read untyped params: a field that is missing, null or
/// of the wrong type is absent (nil), never an error for the whole message, and params that are
/// not an object at all read as every field absent. Fields a handler cannot do without are
/// optional too, so that each handler still decides how to answer their absence.
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

extension KeyedDecodingContainer {
    /// The value at `key`; nil when it is missing, null or not a `T`.
    func lenient<T: Decodable>(_ type: T.Type, forKey key: Key) -> T? {
        try? decodeIfPresent(type, forKey: key)
    }

    /// The whole number at `key`, as ``JSONValue/int`` reads it; else nil.
    func lenientInt(forKey key: Key) -> Int? {
        lenient(JSONValue.self, forKey: key)?.int
    }

    /// The array at `key` without its elements that are not a `T`; nil when it is missing, null
    /// or not an array.
    func lenientElements<T: Decodable>(_ type: T.Type, forKey key: Key) -> [T]? {
        lenient([Lenient<T>].self, forKey: key)?.compactMap(\.value)
    }
}

/// Any JSON value, holding a `T` when it is one: decoding it never fails, so an array of them
/// decodes whatever its elements are.
struct Lenient<T: Decodable>: Decodable {
    var value: T?

    init(from decoder: any Decoder) throws {
        value = try? T(from: decoder)
    }
}
