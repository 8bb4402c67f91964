#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers printed the way rrdtool prints them. `fetch` and `info` use the C library's printf,
/// which follows the locale (`6,38e+01` under de_DE) and writes librrd's unknown as `-nan`; `dump`
/// and `xport` use librrd's own locale-free formatter, which prints -0 as 0.
enum CFormat {
    /// `%0.10e` as librrd's own formatter (rrd_snprintf) writes `dump` and `xport` values: the
    /// same whatever the locale, and computed in doubles its own way, so the last digit can differ
    /// from the C library's (1.0000000001e+11 for 100000000005, where glibc rounds to even), -0
    /// prints as 0, and a value below 1e-307 prints as 0.0000000000e-308.
    static func portableScientific(_ value: Double, precision: Int = 10) -> String {
        let sign = value < 0 ? "-" : ""
        if value.isNaN { return sign + "nan" }
        if value.isInfinite { return sign + "inf" }
        var scaled = value.magnitude
        var exponent = 0
        // Find the decimal exponent by stepping, as librrd does, stopping at DBL_MIN_10_EXP.
        while scaled < 1.0 && scaled > 0.0 {
            exponent -= 1
            if exponent < -307 { break }
            scaled *= 10
        }
        while scaled >= 10.0 {
            exponent += 1
            if exponent > 308 { break }
            scaled /= 10
        }
        let unit = value.magnitude / powerOfTen(exponent)
        var whole = truncated(unit)
        let mask = UInt64(powerOfTen(precision))
        let fractionValue = Double(mask) * (unit - Double(whole))
        var fraction = truncated(fractionValue)
        if fractionValue - Double(fraction) >= 0.5 { fraction += 1 }
        if fraction >= mask {
            whole += 1
            fraction = 0
            if whole == 10 {
                whole = 1
                exponent += 1
            }
        }
        let fractionDigits = String(fraction)
        let exponentDigits = String(exponent.magnitude)
        return sign + String(whole) + "." + String(repeating: "0", count: max(0, precision - fractionDigits.count)) + fractionDigits
            + "e" + (exponent < 0 ? "-" : "+") + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
    }

    /// 10^exponent by repeated multiplication or division, as librrd's formatter computes it.
    private static func powerOfTen(_ exponent: Int) -> Double {
        var result = 1.0
        var remaining = exponent
        while remaining > 0 { result *= 10; remaining -= 1 }
        while remaining < 0 { result /= 10; remaining += 1 }
        return result
    }

    private static func truncated(_ value: Double) -> UInt64 {
        value >= 18_446_744_073_709_551_615.0 ? UInt64.max : UInt64(value)
    }

    static func format(_ format: String, _ arguments: CVarArg...) -> String {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 512)
            let count = vsnprintf(&buffer, buffer.count, format, list)
            if count >= buffer.count {
                buffer = [CChar](repeating: 0, count: Int(count) + 1)
                _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
            }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
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
