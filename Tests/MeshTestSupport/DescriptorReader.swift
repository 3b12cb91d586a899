import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe or socket on a thread of its own with plain `read(2)`, handing each chunk to
/// `onData` as it comes, then calls `onEnd` at end of file (or on a read error).
///
/// The test launchers used `FileHandle.readabilityHandler`, whose dispatch source crashed whole
/// test runs now and then (`_dispatch_event_loop_drain`, swift-corelibs-libdispatch#949).
/// `FileHandle.read(upToCount:)` is no substitute: it waits for the full count.
public enum DescriptorReader {
    /// The handle stays open until the thread ends. To end a read blocked on a socket, call
    /// `shutdown(fd, SHUT_RDWR)`, not `close`: closing a descriptor another thread reads is a race.
    /// Start it on a pipe after the process is launched: until then the pipe's write end is open
    /// here too, and a launch that fails would leave the thread waiting for ever.
    public static func start(_ handle: FileHandle, name: String,
                             onData: @escaping @Sendable (Data) -> Void,
                             onEnd: @escaping @Sendable () -> Void = {}) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    onData(Data(buffer[0..<count]))
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            onEnd()
        }
        thread.name = String(name.prefix(15))   // Linux ignores a longer name
        thread.start()
    }
}
