/// check_multi labels carry `<child service>::<plugin>::<label>`; items without the prefix belong
/// to the last prefixed item (Icinga 2 instead repeats the prefix on every label).
enum CheckMultiPrefix {
    /// Splits a label into its service, plugin and plain label, or nil when it has no such prefix.
    static func split(_ label: [UInt8]) -> (service: ArraySlice<UInt8>, plugin: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        guard let first = separator(in: label, from: 0), first > 0,
              let second = separator(in: label, from: first + 2), second > first + 2,
              second + 2 < label.count
        else { return nil }
        return (label[..<first], label[(first + 2)..<second], label[(second + 2)...])
    }

    static func contains(_ label: [UInt8]) -> Bool {
        separator(in: label, from: 0) != nil
    }

    private static func separator(in label: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < label.count {
            if label[i] == UInt8(ascii: ":") && label[i + 1] == UInt8(ascii: ":") { return i }
            i += 1
        }
        return nil
    }
}
