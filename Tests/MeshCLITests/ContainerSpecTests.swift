import Foundation
import MeshSandbox
import Testing

/// The Engine API body every sandbox container is created with: the policy as Docker gets it.
/// (SandboxTests check what the policy does inside real containers; these check that it is the
/// policy asked for, e.g. that Mesh's seccomp profile rather than Docker's default is applied.)
@Suite struct ContainerSpecTests {
    func hostConfig(_ seccomp: SeccompProfile) throws -> [String: Any] {
        var spec = ContainerSpec(image: "mesh-runtime:test", command: ["/usr/local/bin/mesh-relay", "dap"], workspace: "/srv/ws")
        spec.limits.seccomp = seccomp
        spec.relaySocket = "/tmp/mesh-dap-x/dap.sock"
        let body = spec.createBody(instance: "test-instance")
        return try #require(body["HostConfig"] as? [String: Any])
    }

    /// The labels' names and the kinds' values never change: a server finds by them the containers
    /// an older server started (`docker ps --filter label=…` works across versions).
    @Test func labelsAndKindsKeepTheirValues() {
        #expect(ContainerSpec.managedLabel == "dev.mesh.managed")
        #expect(ContainerSpec.kindLabel == "dev.mesh.kind")
        #expect(ContainerSpec.sessionLabel == "dev.mesh.session")
        #expect(ContainerKind.allCases.map(\.rawValue) == ["run", "debug"])
        var spec = ContainerSpec(image: "mesh-runtime:test", command: ["/usr/local/bin/mesh-relay", "run", "."], workspace: "/srv/ws")
        spec.labels = [ContainerSpec.kindLabel: ContainerKind.run.rawValue, ContainerSpec.sessionLabel: "s"]
        let labels = spec.createBody(instance: "test-instance")["Labels"] as? [String: String]
        #expect(labels == ["dev.mesh.kind": "run", "dev.mesh.session": "s", "dev.mesh.managed": "test-instance"])
    }

    /// A container with a build-cache volume tells the relay to confine the program and to keep
    /// the cache within the server's limit; one without a volume has nothing to protect.
    @Test func aCacheVolumeComesWithConfinementAndItsLimit() throws {
        var spec = ContainerSpec(image: "mesh-runtime:test", command: ["/usr/local/bin/mesh-relay", "run", "."], workspace: "/srv/ws")
        spec.limits.cacheBytes = 256 << 20
        func environment() -> [String] { spec.createBody(instance: "test-instance")["Env"] as? [String] ?? [] }
        #expect(!environment().contains { $0.hasPrefix("MESH_CONFINE=") || $0.hasPrefix("MESH_CACHE_LIMIT_MB=") })
        spec.cacheVolume = "mesh-gocache-0123456789ab-s0123"
        #expect(environment().contains("MESH_CONFINE=1") && environment().contains("MESH_CACHE_LIMIT_MB=256"), "\(environment())")
        #expect(environment().contains("GOCACHE=/opt/gocache"))
    }

    @Test func meshSeccompProfileIsAppliedAndDeniesItsList() throws {
        let options = try #require(try hostConfig(.mesh)["SecurityOpt"] as? [String])
        #expect(options.contains("no-new-privileges"))
        let profiles = options.filter { $0.hasPrefix("seccomp=") }
        #expect(profiles.count == 1, "\(options)")
        let json = try #require(profiles.first.map { Data($0.dropFirst("seccomp=".count).utf8) })
        let profile = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(profile["defaultAction"] as? String == "SCMP_ACT_ALLOW")
        let rules = try #require(profile["syscalls"] as? [[String: Any]])
        let denied = Set(rules.filter { $0["action"] as? String == "SCMP_ACT_ERRNO" && $0["args"] == nil }
            .flatMap { $0["names"] as? [String] ?? [] })
        #expect(denied.isSuperset(of: SeccompProfile.denied), "missing: \(Set(SeccompProfile.denied).subtracting(denied))")
        #expect(denied.isSuperset(of: ["unshare", "setns", "bpf", "io_uring_setup", "mount", "keyctl"]))
        #expect(rules.contains { ($0["names"] as? [String]) == ["clone"] && $0["args"] != nil }, "clone into a new user namespace")
    }

    @Test func dockerSeccompProfileLeavesDockersDefault() throws {
        let options = try #require(try hostConfig(.docker)["SecurityOpt"] as? [String])
        #expect(options == ["no-new-privileges"])
    }

    @Test func everyContainerIsLockedDown() throws {
        let host = try hostConfig(.mesh)
        #expect(host["NetworkMode"] as? String == "none")
        #expect(host["CapDrop"] as? [String] == ["ALL"])
        #expect(host["ReadonlyRootfs"] as? Bool == true)
        #expect(host["AutoRemove"] as? Bool == false)
        #expect((host["PidsLimit"] as? Int).map { $0 > 0 } == true)
        #expect((host["Memory"] as? Int).map { $0 > 0 } == true)
        #expect((host["NanoCpus"] as? Int).map { $0 > 0 } == true)
        #expect((host["Binds"] as? [String])?.contains("/srv/ws:/workspace:ro") == true)
    }

    /// The debug relay reaches the server through one socket file the server listens on, mounted
    /// read-only: no host folder is shared, so a container cannot create files on the host (it
    /// used to get a world-writable folder in the host's `/tmp`).
    @Test func aDebugContainerCannotWriteIntoAHostFolder() throws {
        let host = try hostConfig(.mesh)
        let binds = try #require(host["Binds"] as? [String])
        #expect(binds == ["/srv/ws:/workspace:ro", "/tmp/mesh-dap-x/dap.sock:/run/mesh/dap.sock:ro"])
        #expect(binds.allSatisfy { $0.hasSuffix(":ro") }, "every bind is read-only: \(binds)")
        var spec = ContainerSpec(image: "mesh-runtime:test", command: ["/usr/local/bin/mesh-relay", "dap"], workspace: "/srv/ws")
        spec.relaySocket = "/tmp/mesh-dap-x/dap.sock"
        #expect((spec.createBody(instance: "test-instance")["Env"] as? [String])?.contains("MESH_RELAY_SOCKET=/run/mesh/dap.sock") == true)
        // A run container gets no socket and no variable.
        spec.relaySocket = nil
        let run = spec.createBody(instance: "test-instance")
        #expect((run["Env"] as? [String])?.contains { $0.hasPrefix("MESH_RELAY_SOCKET=") } == false)
        #expect((run["HostConfig"] as? [String: Any])?["Binds"] as? [String] == ["/srv/ws:/workspace:ro"])
    }

    /// Go's build cache is the only writable mount: each session has its own volume (named after
    /// the image and the session), so no session's code writes where another's builds read.
    @Test func eachSessionMountsItsOwnBuildCache() throws {
        let image = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        let first = UUID(), second = UUID()
        let volume = Sandbox.volumeName(RuntimeImage.cacheVolume, imageID: image, session: first)
        let digits = first.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        #expect(volume == "mesh-gocache-0123456789ab-s\(digits)")
        #expect(volume.count <= 63)
        #expect(volume != Sandbox.volumeName(RuntimeImage.cacheVolume, imageID: image, session: second))

        var spec = ContainerSpec(image: "mesh-runtime:test", command: ["/usr/local/bin/mesh-relay", "run", "/workspace"], workspace: "/srv/ws")
        spec.cacheVolume = volume
        let body = spec.createBody(instance: "test-instance")
        let binds = try #require((body["HostConfig"] as? [String: Any])?["Binds"] as? [String])
        #expect(binds == ["/srv/ws:/workspace:ro", "\(volume):/opt/gocache"])
        #expect((body["Env"] as? [String])?.contains("GOCACHE=/opt/gocache") == true)
        // Without a session: no volume at all, a cache on the container's own tmpfs.
        spec.cacheVolume = nil
        let bare = spec.createBody(instance: "test-instance")
        #expect((bare["HostConfig"] as? [String: Any])?["Binds"] as? [String] == ["/srv/ws:/workspace:ro"])
        #expect((bare["Env"] as? [String])?.contains("GOCACHE=/tmp/gocache") == true)
    }
}
