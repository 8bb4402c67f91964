import Foundation

/// The team's shared references, beside the checkout: `../shared` (or `$PERFQ_SHARED`). Tests
/// read cases and fixtures from there instead of keeping copies.
enum SharedFiles {
    static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["PERFQ_SHARED"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static func contents(_ relativePath: String) throws -> Data {
        let url = root.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MissingSharedFile(path: url.path)
        }
        return data
    }

    struct MissingSharedFile: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing: the shared references must sit beside the checkout (or set PERFQ_SHARED)" }
    }
}
