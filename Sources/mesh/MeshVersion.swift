/// The version `mesh --version` prints.
enum MeshVersion {
    static let string = "0.1.0"
}
