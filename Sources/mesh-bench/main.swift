import Foundation
import MeshTraces

/// `mesh-bench ot [TRACE…]` replays every sequential trace through the buffer, the OT pipeline
/// and a naive baseline, each in a fresh child process so its peak RSS is its own.
/// `mesh-bench json` times JSON parsing and writing of relayed messages (JSONBenchmarks.swift).
/// Build with `-c release`: debug figures mean nothing.
let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "ot":
        try runOTSuite(only: Array(arguments.dropFirst()))
    case "ot-one":
        guard arguments.count == 3, let mode = OTMode(rawValue: arguments[1]) else {
            throw BenchError("usage: mesh-bench ot-one buffer|pipeline|naive TRACE.json.gz")
        }
        try runOne(mode: mode, url: URL(fileURLWithPath: arguments[2]))
    case "json":
        try runJSONSuite()
    default:
        print("usage: mesh-bench ot [TRACE-NAME…] | mesh-bench json")
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("mesh-bench: \(error)\n".utf8))
    exit(1)
}

func runOTSuite(only: [String]) throws {
    #if DEBUG
    print("warning: debug build; run `swift run -c release mesh-bench ot` for real figures")
    #endif
    let urls = try EditingTrace.sequentialTraceURLs().filter { url in
        only.isEmpty || only.contains { url.lastPathComponent.hasPrefix($0) }
    }
    print(row("trace", "mode", "edits", "seconds", "ops/s", "correct", "peak RSS", "note"))
    var failures = 0
    for url in urls {
        for mode in OTMode.allCases {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["ot-one", mode.rawValue, url.path]
            let pipe = Pipe()
            child.standardOutput = pipe
            try child.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            print(output, terminator: "")
            if child.terminationStatus != 0 { failures += 1 }
        }
    }
    if failures > 0 { throw BenchError("\(failures) runs produced a wrong text") }
}

func runOne(mode: OTMode, url: URL) throws {
    let trace = try EditingTrace.load(url)
    let (text, seconds, extra) = try mode.run(trace)
    let correct = text == trace.endContent
    let opsPerSecond = Double(trace.patches.count) / seconds
    print(row(trace.name, mode.rawValue, "\(trace.patches.count)", String(format: "%.4f", seconds),
              String(format: "%.0f", opsPerSecond), correct ? "yes" : "NO",
              String(format: "%.1f MiB", Double(peakRSS()) / 1_048_576), extra))
    if !correct { exit(3) }
}

func row(_ cells: String...) -> String { padded(cells, widths: [22, 9, 8, 9, 12, 8, 10, 0]) }

/// `cells` left-aligned in columns of `widths`, one space apart.
func padded(_ cells: [String], widths: [Int]) -> String {
    zip(cells, widths).map { cell, width in
        cell.count >= width ? cell : cell + String(repeating: " ", count: width - cell.count)
    }.joined(separator: " ").trimmingCharacters(in: .whitespaces)
}
