/// The contract's messages carry `JSONValue` (DAP and JSON-RPC bodies, lenient fields), so
/// everyone who speaks the contract gets it with `import MeshProtocol`.
@_exported import MeshJSON
