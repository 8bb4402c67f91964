#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads NPCD bulk perfdata files as Nagios 4, npcdmod, Naemon and Icinga 2's PerfdataWriter
/// write them: one record a line, TAB-separated `KEY::VALUE` fields.
public enum SpoolParser {
    /// Parses a whole spool file, calling `body` with each record or rejected line, in order.
    public static func parse(
        _ contents: UnsafeBufferPointer<UInt8>, _ body: (Result<SpoolRecord, SpoolLineError>) -> Void
    ) {
        var lineStart = 0
        var lineNumber = 0
        let count = contents.count
        while lineStart < count {
            lineNumber += 1
            let lineEnd = contents.firstIndex(of: UInt8(ascii: "\n"), from: lineStart)
            let terminated = lineEnd < count
            var contentEnd = lineEnd
            if contentEnd > lineStart && contents[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let line = UnsafeBufferPointer(rebasing: contents[lineStart..<contentEnd])
            if !line.allSatisfy(\.isPerfdataSpace) {
                var result = parseLine(line, number: lineNumber)
                if !terminated, case .success(var record) = result {
                    record.notes.append("last line has no newline; it may have been cut short")
                    result = .success(record)
                }
                body(result)
            }
            lineStart = lineEnd + 1
        }
    }

    /// Parses a whole spool file into records and rejected lines.
    public static func parse(_ contents: [UInt8]) -> [Result<SpoolRecord, SpoolLineError>] {
        var results: [Result<SpoolRecord, SpoolLineError>] = []
        contents.withUnsafeBufferPointer { buffer in
            parse(buffer) { results.append($0) }
        }
        return results
    }

    /// Parses one line (without its line ending).
    public static func parseLine(_ line: UnsafeBufferPointer<UInt8>, number: Int) -> Result<SpoolRecord, SpoolLineError> {
        var fields = SpoolFields(line: line)
        var notes: [String] = []
        var partStart = 0
        while partStart <= line.count {
            let partEnd = line.firstIndex(of: UInt8(ascii: "\t"), from: partStart)
            if let note = fields.take(from: partStart, to: partEnd) { notes.append(note) }
            partStart = partEnd + 1
        }
        return fields.record(number: number, notes: notes)
    }
}

/// The fields of one spool line, kept as ranges of the line until the record is built.
private struct SpoolFields {
    let line: UnsafeBufferPointer<UInt8>
    var starts = InlineArray<12, Int>(repeating: -1)
    var ends = InlineArray<12, Int>(repeating: -1)
    /// Values continued after a TAB, which no longer lie in one range of the line.
    var joined: [SpoolKey: [UInt8]] = [:]
    var lastKey: SpoolKey?
    var lastWasPerfdata = false
    var continuedPerfdata = false

    init(line: UnsafeBufferPointer<UInt8>) {
        self.line = line
    }

    /// Takes the TAB-separated part `line[start..<end]`; returns a note when it was unusual.
    mutating func take(from start: Int, to end: Int) -> String? {
        if let (key, valueStart) = SpoolKey.split(line, from: start, to: end),
           // A check_multi label in upper case after a plugin TAB (`DISK::check_disk::/=5MB`)
           // looks like a key but is perfdata.
           !(lastWasPerfdata && key == nil && Self.isCheckMultiItem(line[valueStart..<end])) {
            lastWasPerfdata = key?.isPerfdata ?? false
            lastKey = key
            if let key {
                starts[key.rawValue] = valueStart
                ends[key.rawValue] = end
                if !joined.isEmpty { joined[key] = nil }
            }
            return nil
        }
        if start == end { return nil }
        // Nagios writes plugin output raw, so a TAB the plugin printed looks like a field
        // separator; PNP4Nagios silently drops what follows it. Join it back instead.
        guard let lastKey else {
            return "text before the first KEY:: field ignored: '\(RawText(bytes: Array(line[start..<min(end, start + 40)])).text)'"
        }
        if joined[lastKey] == nil {
            joined[lastKey] = withValue(lastKey) { Array($0) } ?? []
        }
        // Appended in place: copying the value for every TAB would be quadratic.
        joined[lastKey]!.append(UInt8(ascii: " "))
        joined[lastKey]!.append(contentsOf: line[start..<end])
        if lastKey.isPerfdata { continuedPerfdata = true }
        return nil
    }

    /// `plugin::label=…`: what remains of a check_multi item after its first `::`.
    static func isCheckMultiItem(_ rest: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let equals = rest.firstIndex(of: UInt8(ascii: "=")) else { return false }
        var i = rest.startIndex
        while i + 1 < equals {
            if rest[i] == UInt8(ascii: ":") && rest[i + 1] == UInt8(ascii: ":") { return i > rest.startIndex }
            i += 1
        }
        return false
    }

    func has(_ key: SpoolKey) -> Bool {
        starts[key.rawValue] >= 0
    }

    func withValue<Result>(_ key: SpoolKey, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        if !joined.isEmpty, let value = joined[key] {
            return value.withUnsafeBufferPointer(body)
        }
        guard has(key) else { return nil }
        return body(UnsafeBufferPointer(rebasing: line[starts[key.rawValue]..<ends[key.rawValue]]))
    }

    func bytes(_ key: SpoolKey) -> [UInt8]? {
        withValue(key) { Array($0) }
    }

    func record(number: Int, notes: [String]) -> Result<SpoolRecord, SpoolLineError> {
        var notes = notes
        let kind: SpoolRecord.Kind
        let dataType = withValue(.dataType) { value -> SpoolRecord.Kind? in
            var end = value.count
            while end > 0 && value[end - 1].isPerfdataSpace { end -= 1 }
            let name = UnsafeBufferPointer(rebasing: value[..<end])
            if name.matches("SERVICEPERFDATA") { return .service }
            if name.matches("HOSTPERFDATA") { return .host }
            return nil
        }
        switch dataType {
        case .some(let known?): kind = known
        case .some(nil):
            return .failure(SpoolLineError(lineNumber: number, reason: "unknown DATATYPE '\(RawText(bytes: bytes(.dataType)!).text)'"))
        case nil: kind = has(.serviceDescription) || has(.servicePerfdata) ? .service : .host
        }
        guard let host = withValue(.hostName, { Self.trimmed($0) }), !host.isEmpty else {
            return .failure(SpoolLineError(lineNumber: number, reason: "no HOSTNAME"))
        }
        guard let time = withValue(.time, { Self.epochSeconds($0) }) else {
            return .failure(SpoolLineError(lineNumber: number, reason: "no TIMET"))
        }
        guard let time else {
            return .failure(SpoolLineError(lineNumber: number, reason: "TIMET '\(RawText(bytes: bytes(.time)!).text)' is not a time in epoch seconds"))
        }
        var service: RawText?
        if kind == .service {
            guard let description = withValue(.serviceDescription, { Self.trimmed($0) }), !description.isEmpty else {
                return .failure(SpoolLineError(lineNumber: number, reason: "service record without SERVICEDESC"))
            }
            service = RawText(bytes: description)
        }
        var perfdata = bytes(kind == .service ? .servicePerfdata : .hostPerfdata) ?? []
        var command = bytes(kind == .service ? .serviceCheckCommand : .hostCheckCommand)
        // Distributed setups append ` [check_foo]` to name the command (PNP4Nagios honours it).
        if let (rest, named) = Self.splitCommandSuffix(perfdata) {
            perfdata = rest
            command = named
        }
        if continuedPerfdata {
            notes.append("perfdata held a TAB; the text after it was kept as perfdata")
        }
        let parsed = PerfdataParser.parse(perfdata)
        return .success(SpoolRecord(
            lineNumber: number, kind: kind, time: time, host: RawText(bytes: host), service: service,
            checkCommand: command.map(RawText.init(bytes:)),
            hostState: withValue(.hostState) { Self.state($0, names: Self.hostStates) },
            hostStateType: withValue(.hostStateType) { Self.state($0, names: Self.stateTypes) },
            serviceState: withValue(.serviceState) { Self.state($0, names: Self.serviceStates) },
            serviceStateType: withValue(.serviceStateType) { Self.state($0, names: Self.stateTypes) },
            perfdata: RawText(bytes: perfdata), parsed: parsed, notes: notes))
    }

    static let hostStates: [StaticString] = ["UP", "DOWN", "UNREACHABLE"]
    static let serviceStates: [StaticString] = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
    static let stateTypes: [StaticString] = ["SOFT", "HARD"]

    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var start = 0
        var end = bytes.count
        while start < end && bytes[start].isPerfdataSpace { start += 1 }
        while end > start && bytes[end - 1].isPerfdataSpace { end -= 1 }
        return Array(bytes[start..<end])
    }

    /// Nagios writes state names; npcdmod writes their numbers.
    static func state(_ bytes: UnsafeBufferPointer<UInt8>, names: [StaticString]) -> String {
        for name in names where bytes.matches(name) { return name.description }
        if bytes.count == 1, bytes[0].isDigit, Int(bytes[0] - UInt8(ascii: "0")) < names.count {
            return names[Int(bytes[0] - UInt8(ascii: "0"))].description
        }
        return RawText(bytes: Array(bytes)).text
    }

    /// Epoch seconds; Icinga 2 casts its timestamps to integers, but a fraction is tolerated and
    /// cut off. nil when the text is no such time.
    static func epochSeconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        let digits = trimmed(bytes)
        var seconds: Int64 = 0
        var i = 0
        while i < digits.count && digits[i].isDigit && i < 15 {
            seconds = seconds * 10 + Int64(digits[i] - UInt8(ascii: "0"))
            i += 1
        }
        guard i > 0 else { return nil }
        if i < digits.count {
            guard digits[i] == UInt8(ascii: "."), digits[(i + 1)...].allSatisfy(\.isDigit) else { return nil }
        }
        return seconds
    }

    static func splitCommandSuffix(_ perfdata: [UInt8]) -> ([UInt8], [UInt8])? {
        var end = perfdata.count
        while end > 0 && perfdata[end - 1].isPerfdataSpace { end -= 1 }
        guard end > 0, perfdata[end - 1] == UInt8(ascii: "]"),
              let open = perfdata[..<end].lastIndex(of: UInt8(ascii: "[")),
              open == 0 || perfdata[open - 1].isPerfdataSpace,
              open + 1 < end - 1,
              !perfdata[open..<end].contains(where: { $0 == UInt8(ascii: "=") || $0.isPerfdataSpace })
        else { return nil }
        return (Array(perfdata[..<open]), Array(perfdata[(open + 1)..<(end - 1)]))
    }
}

/// The spool keys this reader uses; any other `KEY::` is read and ignored.
private enum SpoolKey: Int, CaseIterable {
    case dataType, time, hostName, serviceDescription, servicePerfdata, hostPerfdata
    case serviceCheckCommand, hostCheckCommand, hostState, hostStateType, serviceState, serviceStateType

    var name: StaticString {
        switch self {
        case .dataType: "DATATYPE"
        case .time: "TIMET"
        case .hostName: "HOSTNAME"
        case .serviceDescription: "SERVICEDESC"
        case .servicePerfdata: "SERVICEPERFDATA"
        case .hostPerfdata: "HOSTPERFDATA"
        case .serviceCheckCommand: "SERVICECHECKCOMMAND"
        case .hostCheckCommand: "HOSTCHECKCOMMAND"
        case .hostState: "HOSTSTATE"
        case .hostStateType: "HOSTSTATETYPE"
        case .serviceState: "SERVICESTATE"
        case .serviceStateType: "SERVICESTATETYPE"
        }
    }


    var isPerfdata: Bool { self == .servicePerfdata || self == .hostPerfdata }

    /// `allCases` builds a new array on every call; this is on the hot path.
    static let known = allCases

    /// Splits `KEY::value` in `line[start..<end]`. Returns nil when the part has no key; the key
    /// is nil when it is well formed but unknown (`SERVICEOUTPUT`, graphios' `GRAPHITEPREFIX`,
    /// nagflux' `NAGFLUX:TAG`). The second element is where the value starts.
    static func split(_ line: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> (SpoolKey?, Int)? {
        for key in known {
            let length = key.name.utf8CodeUnitCount
            if start + length + 2 <= end && line[start + length] == UInt8(ascii: ":")
                && line[start + length + 1] == UInt8(ascii: ":")
                && memcmp(line.baseAddress! + start, key.name.utf8Start, length) == 0 {
                return (key, start + length + 2)
            }
        }
        var i = start
        while i + 1 < end {
            let byte = line[i]
            if byte == UInt8(ascii: ":") && line[i + 1] == UInt8(ascii: ":") { break }
            let isKeyByte = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte.isDigit
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: " ")
            guard isKeyByte else { return nil }
            i += 1
        }
        guard i > start, i + 1 < end else { return nil }
        return (nil, i + 2)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The index of the first `byte` at or after `start`, or `count`; memchr is many times faster
    /// than a byte loop on long lines.
    func firstIndex(of byte: UInt8, from start: Int) -> Int {
        guard start < count, let found = memchr(baseAddress! + start, Int32(byte), count - start) else { return count }
        return baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Whether these bytes are exactly `name`'s UTF-8.
    func matches(_ name: StaticString) -> Bool {
        count == name.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, name.utf8Start, count) == 0)
    }
}
