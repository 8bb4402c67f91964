import CRRD
import Foundation

/// librrd 1.7.2 through its C API: the oracle our engine is compared with.
enum LibRRD {
    /// Calls `body` with a C `argv` of `strings`, freed afterwards.
    static func withArguments<Result>(_ strings: [String], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
        let copies = strings.map { UnsafePointer(strdup($0)) }
        defer { copies.forEach { free(UnsafeMutableRawPointer(mutating: $0)) } }
        var argv: [UnsafePointer<CChar>?] = copies + [nil]
        return argv.withUnsafeMutableBufferPointer { body(Int32(strings.count), $0.baseAddress!) }
    }

    static func error() -> String {
        String(cString: rrd_get_error())
    }

    /// nil on success, else librrd's error text.
    static func create(_ path: String, step: UInt64, start: Int64, _ definitions: [String]) -> String? {
        rrd_clear_error()
        let status = withArguments(definitions) { rrd_create_r(path, UInt(step), time_t(start), $0, $1) }
        return status == 0 ? nil : error()
    }

    static func update(_ path: String, template: String?, _ arguments: [String]) -> String? {
        rrd_clear_error()
        let status = withArguments(arguments) { rrd_update_r(path, template, $0, $1) }
        return status == 0 ? nil : error()
    }

    struct Fetched: Equatable {
        var start: Int64
        var end: Int64
        var step: UInt64
        var names: [String]
        var values: [Double]

        static func == (a: Fetched, b: Fetched) -> Bool {
            a.start == b.start && a.end == b.end && a.step == b.step && a.names == b.names
                && a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
        }
    }

    static func fetch(_ path: String, function: String, start: Int64, end: Int64, resolution: UInt64) -> Result<Fetched, RRDFailure> {
        rrd_clear_error()
        var start = time_t(start)
        var end = time_t(end)
        var step = UInt(resolution)
        var count: UInt = 0
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var data: UnsafeMutablePointer<rrd_value_t>?
        guard rrd_fetch_r(path, function, &start, &end, &step, &count, &names, &data) == 0 else {
            return .failure(RRDFailure(message: error()))
        }
        var fetched = Fetched(start: Int64(start), end: Int64(end), step: UInt64(step), names: [], values: [])
        for index in 0..<Int(count) {
            fetched.names.append(String(cString: names![index]!))
            free(names![index])
        }
        free(names)
        let rows = Int((end - start) / time_t(step))
        fetched.values = Array(UnsafeBufferPointer(start: data, count: rows * Int(count)))
        free(data)
        return .success(fetched)
    }

    static func strtod(_ text: String) -> (value: Double, length: Int) {
        text.withCString { pointer in
            var end: UnsafeMutablePointer<CChar>?
            let value = rrd_strtod(pointer, &end)
            return (value, end.map { UnsafePointer($0) - pointer } ?? 0)
        }
    }

    struct RRDFailure: Error, Equatable {
        var message: String
    }
}
