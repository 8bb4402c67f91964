/// The items of one perfdata string, and what was odd about it.
public struct ParsedPerfdata: Sendable, Hashable {
    public var items: [PerfdataItem]
    public var warnings: [PerfdataWarning]

    public init(items: [PerfdataItem] = [], warnings: [PerfdataWarning] = []) {
        self.items = items
        self.warnings = warnings
    }

    /// Whether some of the input was not kept (an item or a field was dropped).
    public var hasRejectedInput: Bool { warnings.contains { $0.effect.rejectsInput } }
}

/// Parses perfdata strings the way real plugins write them, not only as the guidelines say.
///
/// The parser works on bytes, never fails as a whole, and never lets one bad item cost the others:
/// a bad item is dropped with a warning that names it, a bad threshold loses only that field.
public enum PerfdataParser {
    public static func parse(_ perfdata: String) -> ParsedPerfdata {
        var copy = perfdata
        return copy.withUTF8 { parse($0) }
    }

    public static func parse(_ perfdata: [UInt8]) -> ParsedPerfdata {
        perfdata.withUnsafeBufferPointer { parse($0) }
    }

    public static func parse(_ perfdata: UnsafeBufferPointer<UInt8>) -> ParsedPerfdata {
        var scanner = ItemScanner(bytes: perfdata)
        scanner.run()
        return ParsedPerfdata(items: scanner.items, warnings: scanner.warnings)
    }
}

private struct ItemScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var items: [PerfdataItem] = []
    var warnings: [PerfdataWarning] = []
    /// The check_multi `name::plugin::` prefix in force.
    var prefix: [UInt8]?
    /// Labels seen so far, once a line has too many items for a linear search.
    var labels: Set<[UInt8]> = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var count: Int { bytes.count }

    mutating func run() {
        while true {
            skipSeparators()
            guard position < count else { return }
            scanItem()
        }
    }

    /// Whether a literal backslash-n starts at `i`: Nagios 4.0.x and some gearman payloads
    /// leave the two characters `\n` between or after items.
    func isEscapedNewline(at i: Int) -> Bool {
        i + 1 < count && bytes[i] == UInt8(ascii: "\\") && bytes[i + 1] == UInt8(ascii: "n")
    }

    mutating func skipSeparators() {
        while position < count {
            if bytes[position].isPerfdataSpace {
                position += 1
            } else if isEscapedNewline(at: position) {
                position += 2
            } else {
                return
            }
        }
    }

    mutating func scanItem() {
        let itemStart = position
        guard let label = scanLabel() else { return }
        let fields = scanFields()
        finishItem(label: label, fields: fields, itemStart: itemStart)
    }

    // MARK: Labels

    /// Reads a label and the `=` after it; returns nil (with a warning) for text that is no item.
    mutating func scanLabel() -> [UInt8]? {
        let start = position
        if bytes[start] == UInt8(ascii: "'") {
            return scanQuotedLabel()
        }
        if bytes[start] == UInt8(ascii: ";") || bytes[start] == UInt8(ascii: ",") {
            // Leftovers of a previous item (`users=3;5;10;0 ;`): no label starts with these.
            var end = start
            while end < count && !bytes[end].isPerfdataSpace { end += 1 }
            warn(at: start, end: end, "stray text without a label", .itemDropped)
            position = end
            return nil
        }
        // An unquoted label runs to the next `=`, spaces included: NSClient++ writes
        // `5 min avg Load=4%`. A quote after a space starts a new item, so what came before it is
        // a fragment.
        var i = start
        while i < count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "=") {
                // `a =1`: PNP4Nagios strips spaces around `=`, and so does this.
                var end = i
                while end > start && bytes[end - 1].isPerfdataSpace { end -= 1 }
                position = i + 1
                skipSpacesBeforeValue()
                return Array(bytes[start..<end])
            }
            if byte == UInt8(ascii: "'") && i > start && bytes[i - 1].isPerfdataSpace {
                warn(at: start, end: i, "text without '=' is no item", .itemDropped)
                position = i
                return nil
            }
            i += 1
        }
        warn(at: start, end: count, "text without '=' at the end (cut off?)", .itemDropped)
        position = count
        return nil
    }

    mutating func scanQuotedLabel() -> [UInt8]? {
        let start = position
        var label: [UInt8] = []
        var i = start + 1
        while i < count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "'") {
                if i + 1 < count && bytes[i + 1] == UInt8(ascii: "'") {
                    label.append(byte)
                    i += 2
                    continue
                }
                var afterQuote = i + 1
                while afterQuote < count && bytes[afterQuote] == UInt8(ascii: " ") { afterQuote += 1 }
                if afterQuote < count && bytes[afterQuote] == UInt8(ascii: "=") {
                    position = afterQuote + 1
                    skipSpacesBeforeValue()
                    return label
                }
                if i + 1 == count || bytes[i + 1].isPerfdataSpace {
                    warn(at: start, end: i + 1, "quoted label without '=' and value", .itemDropped)
                    position = i + 1
                    return nil
                }
            }
            label.append(byte)
            i += 1
        }
        // No closing quote. A stray quote (`x=1 'y=2 z=3`) must not cost the items after it:
        // read the label as unquoted. Only a fragment without any `=` (output cut off) is lost.
        var equals = start + 1
        while equals < count && bytes[equals] != UInt8(ascii: "=") && !bytes[equals].isPerfdataSpace { equals += 1 }
        if equals < count && bytes[equals] == UInt8(ascii: "=") && equals > start + 1 {
            warn(at: start, end: equals, "quote without a closing quote ignored", .accepted)
            position = equals + 1
            return Array(bytes[(start + 1)..<equals])
        }
        warn(at: start, end: count, "label cut off before its closing quote", .itemDropped)
        position = count
        return nil
    }

    /// `a= 1`: spaces between `=` and a value are skipped, as PNP4Nagios does; `a= b=2` keeps
    /// `a` without a value rather than inventing an item labelled `b`.
    mutating func skipSpacesBeforeValue() {
        var i = position
        while i < count && bytes[i] == UInt8(ascii: " ") { i += 1 }
        guard i > position, i < count else { return }
        let next = bytes[i]
        if next.isDigit || next == UInt8(ascii: "-") || next == UInt8(ascii: "+") || next == UInt8(ascii: ".")
            || (next == UInt8(ascii: "U") && (i + 1 == count || !bytes[i + 1].isLetter)) {
            position = i
        }
    }

    // MARK: Fields

    struct Fields {
        /// Start and end of the first five `;`-separated fields, the value first.
        var starts = InlineArray<5, Int>(repeating: 0)
        var ends = InlineArray<5, Int>(repeating: 0)
        var count = 0
        /// Non-empty fields after the fifth.
        var extraFields = 0
        var itemEnd = 0
        var endsWithComma = false

        mutating func append(_ start: Int, _ end: Int) {
            if count < 5 {
                starts[count] = start
                ends[count] = end
                count += 1
            } else if end > start {
                extraFields += 1
            }
        }
    }

    /// Reads `value;warn;crit;min;max;...` up to the whitespace that ends the item.
    mutating func scanFields() -> Fields {
        var fields = Fields()
        var fieldStart = position
        var i = position
        while i < count && !bytes[i].isPerfdataSpace && !isEscapedNewline(at: i) {
            if bytes[i] == UInt8(ascii: ";") {
                fields.append(fieldStart, i)
                fieldStart = i + 1
            }
            i += 1
        }
        var end = i
        // Items separated by `, ` (old check_ifstatus, nagios-plugins-linux): the comma belongs to
        // the separator, not to the unit.
        if end > fieldStart && bytes[end - 1] == UInt8(ascii: ",") {
            end -= 1
            fields.endsWithComma = true
        }
        fields.append(fieldStart, end)
        fields.itemEnd = i
        position = i
        return fields
    }

    mutating func finishItem(label rawLabel: [UInt8], fields: Fields, itemStart: Int) {
        let itemEnd = fields.itemEnd
        if rawLabel.isEmpty {
            warn(at: itemStart, end: itemEnd, "empty label", .itemDropped)
            return
        }
        let label = applyCheckMulti(rawLabel)
        let valueStart = fields.starts[0], valueEnd = fields.ends[0]
        guard let parsedValue = readValue(from: valueStart, to: valueEnd, itemStart: itemStart, itemEnd: itemEnd) else {
            return
        }
        var item = PerfdataItem(
            label: RawText(bytes: label), value: parsedValue.value, valueText: parsedValue.text,
            unit: RawText(bytes: parsedValue.unit))
        for index in 1..<fields.count where fields.starts[index] < fields.ends[index] {
            let range = (start: fields.starts[index], end: fields.ends[index])
            switch index {
            case 1: item.warning = readRange(range, unit: parsedValue.unit, name: "warn", itemStart: itemStart, itemEnd: itemEnd)
            case 2: item.critical = readRange(range, unit: parsedValue.unit, name: "crit", itemStart: itemStart, itemEnd: itemEnd)
            case 3: item.minimum = readBound(range, unit: parsedValue.unit, name: "min", itemStart: itemStart, itemEnd: itemEnd)
            default: item.maximum = readBound(range, unit: parsedValue.unit, name: "max", itemStart: itemStart, itemEnd: itemEnd)
            }
        }
        if fields.extraFields > 0 {
            warn(at: itemStart, end: itemEnd, "more than five ';' fields", .fieldIgnored)
        }
        if fields.endsWithComma {
            warn(at: itemStart, end: itemEnd, "items separated by ','", .accepted)
        }
        if isDuplicate(label) {
            warn(at: itemStart, end: itemEnd, "label repeats an earlier item; the first is kept", .itemDropped)
            return
        }
        items.append(item)
    }

    mutating func applyCheckMulti(_ label: [UInt8]) -> [UInt8] {
        if let split = CheckMultiPrefix.split(label) {
            prefix = Array(label[..<split.rest.startIndex])
            return label
        }
        if let prefix, !CheckMultiPrefix.contains(label) {
            return prefix + label
        }
        return label
    }

    mutating func isDuplicate(_ label: [UInt8]) -> Bool {
        let linearLimit = 16
        if items.count < linearLimit {
            return items.contains { $0.label.bytes == label }
        }
        if labels.isEmpty {
            labels = Set(items.map(\.label.bytes))
        }
        return !labels.insert(label).inserted
    }

    // MARK: Values

    struct Value {
        var value: Double?
        var text: String
        var unit: [UInt8]
    }

    mutating func readValue(from start: Int, to end: Int, itemStart: Int, itemEnd: Int) -> Value? {
        guard start < end else {
            warn(at: itemStart, end: itemEnd, "no value after '='", .itemDropped)
            return nil
        }
        if bytes[start] == UInt8(ascii: "U") && isUnknownUnit(from: start + 1, to: end) {
            return Value(value: nil, text: "U", unit: Array(bytes[(start + 1)..<end]))
        }
        guard let scan = DecimalNumber.scan(bytes, from: start, to: end) else {
            warn(at: itemStart, end: itemEnd, "value '\(excerpt(start, end))' is not a number", .itemDropped)
            return nil
        }
        if scan.end < end && !isPlausibleUnit(from: scan.end, to: end, after: start) {
            warn(at: itemStart, end: itemEnd, "value '\(excerpt(start, end))' is not a number", .itemDropped)
            return nil
        }
        guard let number = DecimalNumber.value(bytes, from: start, to: scan.end) else {
            warn(at: itemStart, end: itemEnd, "value '\(excerpt(start, scan.end))' is out of range", .itemDropped)
            return nil
        }
        if scan.usedDecimalComma {
            warn(at: itemStart, end: itemEnd, "decimal comma read as a decimal point", .accepted)
        }
        return Value(
            value: number, text: DecimalNumber.normalizedText(bytes, from: start, to: scan.end),
            unit: Array(bytes[scan.end..<end]))
    }

    /// After `U`, a unit may follow (`Us`, `U%`, `UMB`), but `UP`, `Up` or `Unknown` are words,
    /// not an unknown value with a unit: only the units plugins print are taken.
    func isUnknownUnit(from start: Int, to end: Int) -> Bool {
        guard start < end else { return true }
        let unit = bytes[start..<end]
        if unit.first == UInt8(ascii: "%") || unit.first == UInt8(ascii: "/") { return true }
        return Self.unitsAfterUnknown.contains { known in
            unit.elementsEqual(known)
                || (unit.starts(with: known) && start + known.count < end && unit[start + known.count] == UInt8(ascii: "/"))
        }
    }

    static let unitsAfterUnknown: [[UInt8]] = [
        "s", "ms", "us", "ns", "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB",
        "b", "kb", "Kb", "Mb", "Gb", "c", "d", "C", "F", "K", "V", "A", "W", "dB", "dBm", "bps", "ops",
    ].map { Array($0.utf8) }

    /// What may follow a number as its unit. A sign, a colon, a digit or a second separator
    /// means the "number" was something else (`10-5`, `1:2`, `1.2.3`, `0x1F`, `1e+`).
    func isPlausibleUnit(from start: Int, to end: Int, after numberStart: Int) -> Bool {
        let first = bytes[start]
        if first.isDigit || first == UInt8(ascii: ".") || first == UInt8(ascii: ",") || first == UInt8(ascii: "=")
            || first == UInt8(ascii: "'") || first == UInt8(ascii: ":") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            return false
        }
        if (first == UInt8(ascii: "e") || first == UInt8(ascii: "E")) && start + 1 < end
            && (bytes[start + 1] == UInt8(ascii: "+") || bytes[start + 1] == UInt8(ascii: "-")) {
            return false
        }
        // `0x1F`: hexadecimal, not zero with the unit `x1F`.
        if (first == UInt8(ascii: "x") || first == UInt8(ascii: "X")) && start - numberStart == 1
            && bytes[numberStart] == UInt8(ascii: "0") && start + 1 < end && bytes[start + 1].isHexDigit {
            return false
        }
        return true
    }

    /// Reads `[@]start:end`; a field that is not a range is ignored, the item kept.
    mutating func readRange(_ range: (start: Int, end: Int), unit: [UInt8], name: String, itemStart: Int, itemEnd: Int) -> ThresholdRange? {
        let raw = text(range.start, range.end)
        var start = range.start
        let end = withoutUnit(range, unit: unit)
        if end - start == 1 && bytes[start] == UInt8(ascii: "U") { return nil }
        var inside = false
        if bytes[start] == UInt8(ascii: "@") {
            inside = true
            start += 1
        }
        var colon: Int?
        for i in start..<end where bytes[i] == UInt8(ascii: ":") {
            colon = i
            break
        }
        var lower: Double? = 0
        var upper: Double?
        var valid = true
        if let colon {
            if colon - start == 1 && bytes[start] == UInt8(ascii: "~") {
                lower = nil
            } else if colon > start {
                lower = wholeNumber(from: start, to: colon)
                valid = lower != nil
            }
            if colon + 1 < end {
                upper = wholeNumber(from: colon + 1, to: end)
                valid = valid && upper != nil
            }
        } else {
            upper = wholeNumber(from: start, to: end)
            valid = upper != nil
        }
        guard valid else {
            warn(at: itemStart, end: itemEnd, "\(name) '\(excerpt(range.start, range.end))' is not a range", .fieldIgnored)
            return nil
        }
        return ThresholdRange(raw: raw, start: lower, end: upper, alertsInside: inside)
    }

    mutating func readBound(_ range: (start: Int, end: Int), unit: [UInt8], name: String, itemStart: Int, itemEnd: Int) -> Double? {
        let end = withoutUnit(range, unit: unit)
        if end - range.start == 1 && bytes[range.start] == UInt8(ascii: "U") { return nil }
        guard let number = wholeNumber(from: range.start, to: end) else {
            warn(at: itemStart, end: itemEnd, "\(name) '\(excerpt(range.start, range.end))' is not a number", .fieldIgnored)
            return nil
        }
        return number
    }

    /// Some plugins repeat the unit on thresholds and bounds (`rta=0.4ms;100ms;200ms`).
    func withoutUnit(_ range: (start: Int, end: Int), unit: [UInt8]) -> Int {
        let length = range.end - range.start
        guard !unit.isEmpty, length > unit.count else { return range.end }
        let tail = range.end - unit.count
        for k in 0..<unit.count where bytes[tail + k] != unit[k] { return range.end }
        return bytes[tail - 1].isDigit || bytes[tail - 1] == UInt8(ascii: ":") ? tail : range.end
    }

    func wholeNumber(from start: Int, to end: Int) -> Double? {
        guard start < end, let scan = DecimalNumber.scan(bytes, from: start, to: end), scan.end == end else {
            return nil
        }
        return DecimalNumber.value(bytes, from: start, to: end)
    }

    // MARK: Warnings

    func text(_ start: Int, _ end: Int) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if slice.allSatisfy({ $0 < 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        return RawText(bytes: Array(slice)).text
    }

    func excerpt(_ start: Int, _ end: Int) -> String {
        let limit = 60
        let shown = RawText(bytes: Array(bytes[start..<min(end, start + limit)])).text
        return end - start > limit ? shown + "…" : shown
    }

    mutating func warn(at start: Int, end: Int, _ reason: String, _ effect: PerfdataWarning.Effect) {
        warnings.append(PerfdataWarning(offset: start, excerpt: excerpt(start, end), reason: reason, effect: effect))
    }
}
