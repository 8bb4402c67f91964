import Foundation
import Perfdata
import Testing

/// Random and mutated inputs, seeded so that a failure can be replayed: the parsers must neither
/// crash nor loop, and what they return must hold together.
@Suite struct FuzzTests {
    /// SplitMix64: small, fast, and the same on every machine.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array("=;:'@~-+.,eEU0123456789 \t\\nabcXYZ%/[]\r".utf8) + [0xE4, 0xC3, 0x00, 0xFF]

    static func seeds() throws -> [[UInt8]] {
        var seeds = try PerfdataCase.all().map(\.input)
        for name in ["nagios-4.4.6_service-perfdata.spool", "nagios-4.4.6_host-perfdata.spool"] {
            let text = [UInt8](try SharedFiles.contents("specs/fixtures/\(name)"))
            seeds += text.split(separator: UInt8(ascii: "\n")).map(Array.init)
        }
        return seeds
    }

    static func mutate(_ input: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty: bytes[position] = alphabet.randomElement(using: &random)!
            case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
            case 2 where !bytes.isEmpty: bytes.remove(at: position)
            case 3: bytes = Array(bytes.prefix(position))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...20, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default: bytes[position...].shuffle(using: &random)
            }
        }
        return bytes
    }

    func checkPerfdata(_ input: [UInt8]) {
        let parsed = PerfdataParser.parse(input)
        let equalsSigns = input.count { $0 == UInt8(ascii: "=") }
        #expect(parsed.items.count <= equalsSigns)
        for item in parsed.items {
            #expect(!item.label.bytes.isEmpty)
            #expect(item.value?.isFinite ?? true)
            #expect((item.value == nil) == (item.valueText == "U"))
            #expect(item.minimum?.isFinite ?? true)
        }
        for warning in parsed.warnings {
            #expect(warning.offset >= 0 && warning.offset < max(input.count, 1))
        }
    }

    @Test func mutatedRealInputs() throws {
        var random = Generator(state: 20_261_203)
        let seeds = try Self.seeds()
        for _ in 0..<30_000 {
            let input = Self.mutate(seeds.randomElement(using: &random)!, &random)
            checkPerfdata(input)
            _ = SpoolParser.parse(input + [UInt8(ascii: "\n")] + input)
        }
    }

    @Test func randomBytes() {
        var random = Generator(state: 7)
        for _ in 0..<30_000 {
            let length = Int.random(in: 0...80, using: &random)
            let input = (0..<length).map { _ in Self.alphabet.randomElement(using: &random)! }
            checkPerfdata(input)
            _ = SpoolParser.parse(input)
        }
    }

    @Test func hugeInputsStayLinear() {
        let repeated = Array(String(repeating: "a=1;2;3;4;5 ", count: 50_000).utf8)
        #expect(PerfdataParser.parse(repeated).items.count == 1, "duplicates are dropped")
        let distinct = Array((0..<100_000).map { "m\($0)=\($0)" }.joined(separator: " ").utf8)
        #expect(PerfdataParser.parse(distinct).items.count == 100_000)
        let spaces = Array(String(repeating: " ", count: 1_000_000).utf8)
        #expect(PerfdataParser.parse(spaces).items.isEmpty)
        let openQuote = Array(("'" + String(repeating: "x", count: 1_000_000)).utf8)
        #expect(PerfdataParser.parse(openQuote).warnings.count == 1)
        let equalsOnly = Array(String(repeating: "=", count: 100_000).utf8)
        #expect(PerfdataParser.parse(equalsOnly).items.isEmpty)
    }
}
