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
            var lineEnd = lineStart
            while lineEnd < count && contents[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let terminated = lineEnd < count
            var contentEnd = lineEnd
            if contentEnd > lineStart && contents[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > lineStart {
                let line = UnsafeBufferPointer(rebasing: contents[lineStart..<contentEnd])
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
        var fields = SpoolFields()
        var notes: [String] = []
        var partStart = 0
        while partStart <= line.count {
            var partEnd = partStart
            while partEnd < line.count && line[partEnd] != UInt8(ascii: "\t") { partEnd += 1 }
            let part = UnsafeBufferPointer(rebasing: line[partStart..<partEnd])
            if let note = fields.take(part) { notes.append(note) }
            partStart = partEnd + 1
        }
        return fields.record(line: number, notes: notes)
    }
}

/// The fields of one spool line, collected part by part.
private struct SpoolFields {
    var values: [SpoolKey: [UInt8]] = [:]
    var lastKey: SpoolKey?
    var lastWasPerfdata = false
    var continuedPerfdata = false

    /// Takes one TAB-separated part; returns a note when the part was unusual.
    mutating func take(_ part: UnsafeBufferPointer<UInt8>) -> String? {
        // A check_multi label in upper case after a plugin TAB (`DISK::check_disk::/=5MB`) looks
        // like a key but is perfdata.
        if let (key, value) = SpoolKey.split(part).map({ ($0.0, $0.1) }),
           !(lastWasPerfdata && key == nil && value.contains(UInt8(ascii: "="))) {
            lastWasPerfdata = key?.isPerfdata ?? false
            lastKey = key
            if let key { values[key] = Array(value) }
            return nil
        }
        if part.isEmpty { return nil }
        // Nagios writes plugin output raw, so a TAB the plugin printed looks like a field
        // separator; PNP4Nagios silently drops what follows it. Join it back instead.
        guard let lastKey else {
            return "text before the first KEY:: field ignored: '\(RawText(bytes: Array(part.prefix(40))).text)'"
        }
        values[lastKey, default: []].append(UInt8(ascii: " "))
        values[lastKey, default: []].append(contentsOf: part)
        if lastKey.isPerfdata { continuedPerfdata = true }
        return nil
    }

    func record(line: Int, notes: [String]) -> Result<SpoolRecord, SpoolLineError> {
        var notes = notes
        let kind: SpoolRecord.Kind
        switch values[.dataType].map({ String(decoding: $0, as: UTF8.self) }) {
        case "SERVICEPERFDATA": kind = .service
        case "HOSTPERFDATA": kind = .host
        case nil: kind = values[.serviceDescription] == nil ? .host : .service
        case let other?: return .failure(SpoolLineError(line: line, reason: "unknown DATATYPE '\(other)'"))
        }
        guard let host = values[.hostName].map(trimmed), !host.isEmpty else {
            return .failure(SpoolLineError(line: line, reason: "no HOSTNAME"))
        }
        guard let timeText = values[.time] else {
            return .failure(SpoolLineError(line: line, reason: "no TIMET"))
        }
        guard let time = Self.epochSeconds(trimmed(timeText)) else {
            return .failure(SpoolLineError(line: line, reason: "TIMET '\(RawText(bytes: timeText).text)' is not a time in epoch seconds"))
        }
        var service: RawText?
        if kind == .service {
            guard let description = values[.serviceDescription], !description.isEmpty else {
                return .failure(SpoolLineError(line: line, reason: "service record without SERVICEDESC"))
            }
            service = RawText(bytes: description)
        }
        var perfdata = values[kind == .service ? .servicePerfdata : .hostPerfdata] ?? []
        var command = values[kind == .service ? .serviceCheckCommand : .hostCheckCommand]
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
            line: line, kind: kind, time: time, host: RawText(bytes: host), service: service,
            checkCommand: command.map(RawText.init(bytes:)),
            hostState: values[.hostState].map { Self.state($0, names: ["UP", "DOWN", "UNREACHABLE"]) },
            hostStateType: values[.hostStateType].map { Self.state($0, names: ["SOFT", "HARD"]) },
            serviceState: values[.serviceState].map { Self.state($0, names: ["OK", "WARNING", "CRITICAL", "UNKNOWN"]) },
            serviceStateType: values[.serviceStateType].map { Self.state($0, names: ["SOFT", "HARD"]) },
            perfdata: RawText(bytes: perfdata), parsed: parsed, notes: notes))
    }

    func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.drop { $0.isPerfdataSpace }.reversed().drop { $0.isPerfdataSpace }.reversed())
    }

    /// Nagios writes state names; npcdmod writes their numbers.
    static func state(_ bytes: [UInt8], names: [String]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        if let number = Int(text), names.indices.contains(number) { return names[number] }
        return text
    }

    /// Epoch seconds; Icinga 2 casts its timestamps to integers, but a fraction is tolerated.
    static func epochSeconds(_ bytes: [UInt8]) -> Int64? {
        let text = String(decoding: bytes, as: UTF8.self)
        if let whole = Int64(text), whole >= 0 { return whole }
        if let real = Double(text), real.isFinite, real >= 0, real < 1e15, text.first?.isNumber == true {
            return Int64(real.rounded(.down))
        }
        return nil
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
private enum SpoolKey: String {
    case dataType = "DATATYPE"
    case time = "TIMET"
    case hostName = "HOSTNAME"
    case serviceDescription = "SERVICEDESC"
    case servicePerfdata = "SERVICEPERFDATA"
    case hostPerfdata = "HOSTPERFDATA"
    case serviceCheckCommand = "SERVICECHECKCOMMAND"
    case hostCheckCommand = "HOSTCHECKCOMMAND"
    case hostState = "HOSTSTATE"
    case hostStateType = "HOSTSTATETYPE"
    case serviceState = "SERVICESTATE"
    case serviceStateType = "SERVICESTATETYPE"

    var isPerfdata: Bool { self == .servicePerfdata || self == .hostPerfdata }

    /// Splits `KEY::value`. Returns nil when the part has no key; the key is nil when it is well
    /// formed but unknown (`SERVICEOUTPUT`, graphios' `GRAPHITEPREFIX`, nagflux' `NAGFLUX:TAG`).
    static func split(_ part: UnsafeBufferPointer<UInt8>) -> (SpoolKey?, UnsafeBufferPointer<UInt8>)? {
        var i = 0
        while i + 1 < part.count {
            let byte = part[i]
            if byte == UInt8(ascii: ":") && part[i + 1] == UInt8(ascii: ":") { break }
            let isKeyByte = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte.isDigit
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: " ")
            guard isKeyByte else { return nil }
            i += 1
        }
        guard i > 0, i + 1 < part.count else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: part[..<i]), as: UTF8.self)
        return (SpoolKey(rawValue: name), UnsafeBufferPointer(rebasing: part[(i + 2)...]))
    }
}
