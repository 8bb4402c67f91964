/// The decimal with the fewest digits that reads back as a given double, and of those the nearest
/// to it (ties to an even last digit): the digits Swift's `description` and JavaScript print.
///
/// Found by Raffaello Giulietti's Schubfach ("The Schubfach way to render doubles", 2020): the
/// double and the two ends of the interval of reals that round to it are scaled by a power of ten
/// with one 126-bit multiplication each, after which a shortest candidate can be read off.
/// Swift's own algorithm finds the same digits but hands them out only as a String, and making
/// that String costs more than the search; an export of a year writes 300,000 of them.
struct ShortestDecimal {
    /// The value is `digits` × 10^`exponent`; `digits` has no trailing zeros.
    var digits: UInt64
    var exponent: Int

    /// For a positive normal double (zero, subnormals, infinities and NaN are the caller's).
    init(_ value: Double) {
        let bits = value.bitPattern
        let fraction = bits & (1 << 52 - 1)
        let biasedExponent = Int(truncatingIfNeeded: bits >> 52) & 0x7FF
        // value = c × 2^q with 2^52 <= c < 2^53.
        let c = 1 << 52 | fraction
        let q = biasedExponent &- 1075
        // An odd c rounds away from ties, so the interval's ends are excluded.
        let excludesEnds = c & 1
        let center = c &<< 2
        let upper = center &+ 2
        let lower: UInt64
        let k: Int
        if fraction != 0 || biasedExponent == 1 {
            lower = center &- 2
            k = Self.floorLog10(powerOfTwo: q)
        } else {
            // A power of two: the double below is half as far away as the one above.
            lower = center &- 1
            k = Self.floorLog10(threeQuartersOfPowerOfTwo: q)
        }
        // Scaled by 10^-k the value lies in [10^15, 10^17): vb, vbl and vbr are 4 × the scaled
        // value and ends, rounded to odd so that an inexact result never looks exact.
        // Wrapping arithmetic throughout: every value stays far from the limits (the shift is
        // 2 to 5), and the checks would cost as much as the arithmetic.
        let shift = q &+ Self.floorLog2(powerOfTen: 0 &- k) &+ 2
        let index = 2 &* (0 &- k &- powersOfTenMinimumExponent)
        let (g1, g0) = (powersOfTen[index], powersOfTen[index &+ 1])
        let vb = Self.scaledRoundedToOdd(g1, g0, center &<< shift)
        let vbl = Self.scaledRoundedToOdd(g1, g0, lower &<< shift)
        let vbr = Self.scaledRoundedToOdd(g1, g0, upper &<< shift)

        let s = vb &>> 2
        if s >= 100 {
            // The interval is less than 10 units wide, so at most one multiple of ten lies in
            // it; if one does, it is the shortest (its trailing zeros come off below).
            let below = s / 10 * 10
            let above = below &+ 10
            let belowInside = vbl &+ excludesEnds <= below &<< 2
            let aboveInside = above &<< 2 &+ excludesEnds <= vbr
            if belowInside != aboveInside {
                self = Self.trimming((belowInside ? below : above) / 10, exponent: k &+ 1)
                return
            }
        }
        // s has 16 or 17 digits; had s or t a trailing zero and lain inside, it would have been
        // found above, so the digits below have none.
        let t = s &+ 1
        let sInside = vbl &+ excludesEnds <= s &<< 2
        let tInside = t &<< 2 &+ excludesEnds <= vbr
        exponent = k
        if sInside != tInside {
            digits = sInside ? s : t
        } else {
            // Both inside: the nearer, an even one on a tie.
            let twiceMidpoint = (s &+ t) &<< 1
            digits = vb < twiceMidpoint || (vb == twiceMidpoint && s & 1 == 0) ? s : t
        }
    }

    private init(digits: UInt64, exponent: Int) {
        self.digits = digits
        self.exponent = exponent
    }

    private static func trimming(_ digits: UInt64, exponent: Int) -> ShortestDecimal {
        // Up to 16 zeros, taken off in a few large bites rather than one at a time.
        var digits = digits
        var exponent = exponent
        while digits % 100_000_000 == 0 {
            digits /= 100_000_000
            exponent &+= 8
        }
        if digits % 10_000 == 0 {
            digits /= 10_000
            exponent &+= 4
        }
        if digits % 100 == 0 {
            digits /= 100
            exponent &+= 2
        }
        if digits % 10 == 0 {
            digits /= 10
            exponent &+= 1
        }
        return ShortestDecimal(digits: digits, exponent: exponent)
    }

    /// ⌊(g × cp) / 2^127⌋ with its lowest bit set when anything below was cut off, where
    /// g = g1 × 2^63 + g0. The low 64 bits of g0 × cp are left out; the paper shows they cannot
    /// change the result.
    private static func scaledRoundedToOdd(_ g1: UInt64, _ g0: UInt64, _ cp: UInt64) -> UInt64 {
        let x1 = g0.multipliedFullWidth(by: cp).high
        let y = g1.multipliedFullWidth(by: cp)
        let z = (y.low >> 1) &+ x1
        let mask: UInt64 = 1 << 63 - 1
        return (y.high &+ (z >> 63)) | (((z & mask) &+ mask) >> 63)
    }

    // Fixed-point logarithms, exact over every exponent a double has: scripts/generate-powers-of-ten
    // checks them against exact rational arithmetic before it writes the table.
    private static func floorLog10(powerOfTwo e: Int) -> Int { (e &* 661_971_961_083) >> 41 }
    private static func floorLog10(threeQuartersOfPowerOfTwo e: Int) -> Int { (e &* 661_971_961_083 &- 274_743_187_321) >> 41 }
    private static func floorLog2(powerOfTen e: Int) -> Int { (e &* 913_124_641_741) >> 38 }
}
