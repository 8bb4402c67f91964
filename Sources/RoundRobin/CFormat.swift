#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers printed the way rrdtool prints them: through the C library's printf, which writes
/// librrd's unknown as `-nan` (its sign bit is set) and rounds exactly as rrdtool's output does.
enum CFormat {
    static func format(_ format: String, _ arguments: CVarArg...) -> String {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 512)
            let count = vsnprintf(&buffer, buffer.count, format, list)
            if count >= buffer.count {
                buffer = [CChar](repeating: 0, count: Int(count) + 1)
                _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
            }
            return String(cString: buffer)
        }
    }

    /// `%0.10e`, rrdtool's format for values in fetch, xport, info and dump.
    static func scientific(_ value: Double) -> String {
        format("%0.10e", value)
    }

    /// `%lf`, used in rrdtool's conversion error messages.
    static func fixed6(_ value: Double) -> String {
        format("%lf", value)
    }
}
