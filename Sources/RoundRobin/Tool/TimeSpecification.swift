#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of rrdtool's AT-style time syntax that scripts use: epoch seconds, `now`, `start`/`s`,
/// `end`/`e`, and offsets such as `-1d`, `end-1w`, `now-2h30min`, `e - 2 hours`.
///
/// Days, weeks, months and years move the calendar in local time (a day back across a DST change
/// is 23 or 25 hours), hours and smaller move the clock, as rrdtool does.
public struct TimeSpecification: Sendable, Equatable {
    public enum Reference: Sendable, Equatable {
        case epoch(Int64)
        case now
        case start
        case end
    }

    public var reference: Reference
    /// Calendar offsets, applied first.
    public var months = 0
    public var days = 0
    /// Clock offset in seconds.
    public var seconds: Int64 = 0

    public init(reference: Reference, months: Int = 0, days: Int = 0, seconds: Int64 = 0) {
        self.reference = reference
        self.months = months
        self.days = days
        self.seconds = seconds
    }

    public init(parsing text: String) throws(RRDError) {
        let lowered = text.lowercased().filter { $0 != " " }
        var rest = Substring(lowered)
        if let epoch = Int64(rest) {
            // A negative number is an offset from now, a positive one epoch seconds.
            self.init(reference: epoch < 0 ? .now : .epoch(epoch), seconds: epoch < 0 ? epoch : 0)
            return
        }
        var reference = Reference.now
        for (word, meaning) in [("now", Reference.now), ("start", .start), ("end", .end), ("n", .now), ("s", .start), ("e", .end)]
        where rest.hasPrefix(word) {
            reference = meaning
            rest = rest.dropFirst(word.count)
            break
        }
        self.init(reference: reference)
        var previousUnit = ""
        while !rest.isEmpty {
            guard let sign = rest.first, sign == "+" || sign == "-" else {
                throw RRDError("unparsable time: \(text)")
            }
            rest = rest.dropFirst()
            var first = true
            // `-1h30min`: the sign carries over to every number until the next sign.
            while let digit = rest.first, digit.isNumber || first {
                first = false
                let digits = rest.prefix { $0.isNumber }
                guard let amount = Int64(digits) else { throw RRDError("unparsable time: \(text)") }
                rest = rest.dropFirst(digits.count)
                let unit = String(rest.prefix { $0.isLetter })
                rest = rest.dropFirst(unit.count)
                let signed = sign == "-" ? -amount : amount
                switch Self.unit(unit, amount: amount, after: previousUnit) {
                case "s": seconds += signed
                case "min": seconds += signed * 60
                case "h": seconds += signed * 3600
                case "d": days += Int(signed)
                case "w": days += Int(signed) * 7
                case "mon": months += Int(signed)
                case "y": months += Int(signed) * 12
                default: throw RRDError("unparsable time: \(text)")
                }
                previousUnit = Self.unit(unit, amount: amount, after: previousUnit) ?? ""
            }
        }
    }

    /// rrdtool's units; `m` alone means minutes after hours, months after days, and otherwise
    /// months up to 5 and minutes from 6 on.
    private static func unit(_ word: String, amount: Int64, after previous: String) -> String? {
        switch word {
        case "", "s", "sec", "second", "seconds": return "s"
        case "min", "mins", "minute", "minutes": return "min"
        case "h", "hr", "hour", "hours": return "h"
        case "d", "day", "days": return "d"
        case "w", "wk", "week", "weeks": return "w"
        case "mon", "month", "months": return "mon"
        case "y", "yr", "year", "years": return "y"
        case "m":
            if previous == "h" { return "min" }
            if ["d", "w", "mon", "y"].contains(previous) { return "mon" }
            return amount <= 5 ? "mon" : "min"
        default: return nil
        }
    }

    var isRelativeToOther: Bool { reference == .start || reference == .end }

    /// The time this specification names, given what `start` and `end` and `now` are.
    public func resolve(now: Int64, start: Int64? = nil, end: Int64? = nil) -> Int64 {
        var base: Int64
        switch reference {
        case .epoch(let seconds): base = seconds
        case .now: base = now
        case .start: base = start ?? now
        case .end: base = end ?? now
        }
        if months != 0 || days != 0 {
            var time = time_t(base)
            var parts = tm()
            localtime_r(&time, &parts)
            parts.tm_mon += Int32(months)
            parts.tm_mday += Int32(days)
            parts.tm_isdst = -1
            base = Int64(mktime(&parts))
        }
        return base + seconds
    }

    /// Resolves a start and end that may refer to each other, as rrdtool's `rrd_proc_start_end`.
    public static func resolve(start: TimeSpecification, end: TimeSpecification, now: Int64) throws(RRDError) -> (Int64, Int64) {
        if start.reference == .end && end.reference == .start {
            throw RRDError("the start and end times cannot be specified relative to each other")
        }
        if start.reference == .start {
            throw RRDError("the start time cannot be specified relative to itself")
        }
        if end.reference == .end {
            throw RRDError("the end time cannot be specified relative to itself")
        }
        if start.reference == .end {
            let resolvedEnd = end.resolve(now: now)
            return (start.resolve(now: now, end: resolvedEnd), resolvedEnd)
        }
        let resolvedStart = start.resolve(now: now)
        return (resolvedStart, end.resolve(now: now, start: resolvedStart))
    }

    public static func now() -> Int64 {
        Int64(time(nil))
    }
}
