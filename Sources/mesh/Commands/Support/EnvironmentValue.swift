import Foundation

/// An option's default from the environment: variable `name` read as `Value` (`Int`, `Double`,
/// `String`), else `fallback` when it is unset or does not read as one.
func environmentValue<Value: LosslessStringConvertible>(_ name: String, or fallback: @autoclosure () -> Value) -> Value {
    ProcessInfo.processInfo.environment[name].flatMap { Value($0) } ?? fallback()
}
