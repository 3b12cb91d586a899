import Foundation
import MeshSandbox

enum RuntimeImageBuilder {
    static func build(script: String, socket: String) async throws {
        let docker = DockerClient(socketPath: socket)
        try await RuntimeImage.build(script: URL(fileURLWithPath: script), docker: docker) { print("mesh runtime: \($0)") }
        print("mesh runtime: built \(RuntimeImage.reference)")
        let sandbox = Sandbox(docker: docker, instance: "mesh-runtime-build")
        // A seed container an interrupted build left behind (sandbox containers have no
        // AutoRemove); it would also keep its image from being removed below.
        try await sandbox.removeOrphans()
        for tag in try await RuntimeImage.removeOtherVersions(docker: docker, log: { print("mesh runtime: \($0)") }) {
            print("mesh runtime: removed \(tag), the image of another Mesh version")
        }
        // Each session's Go build cache volume is filled from the image when the session first
        // runs something: nothing to seed here, only the volumes of earlier images to remove.
        for name in try await sandbox.removeStaleCacheVolumes() {
            print("mesh runtime: removed \(name), a cache volume of an earlier image")
        }
    }
}
