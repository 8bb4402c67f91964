/// An error from the round-robin engine. `message` is worded as rrdtool 1.7.2 words it, so that
/// scripts and admins that know rrdtool's messages recognise them.
public struct RRDError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
