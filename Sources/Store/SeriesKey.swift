import Perfdata

/// One metric: a label of a service, or of a host check, on a host.
public struct SeriesKey: Hashable, Sendable, Comparable {
    public var host: RawText
    /// The service description; nil for a host check.
    public var service: RawText?
    public var label: RawText

    public init(host: RawText, service: RawText?, label: RawText) {
        self.host = host
        self.service = service
        self.label = label
    }

    /// The name PNP4Nagios and perfq give host checks' directory.
    public static let hostCheckDirectory = "_HOST_"

    /// `<host>/<service>/<label>` with each part escaped. Host checks live under `_HOST_`; a real
    /// service of that name is escaped (`%5FHOST_`) so that the two never meet.
    public var relativePath: String {
        let serviceName: String
        if let service {
            let escaped = SeriesName.escape(service.bytes)
            serviceName = escaped == Self.hostCheckDirectory ? "%5F" + escaped.dropFirst() : escaped
        } else {
            serviceName = Self.hostCheckDirectory
        }
        return SeriesName.escape(host.bytes) + "/" + serviceName + "/" + SeriesName.escape(label.bytes)
    }

    /// The service as people read it: `_HOST_` for host checks.
    public var serviceText: String { service?.text ?? Self.hostCheckDirectory }

    public static func < (a: SeriesKey, b: SeriesKey) -> Bool {
        if a.host != b.host { return a.host < b.host }
        let aService = a.service ?? RawText(bytes: [])
        let bService = b.service ?? RawText(bytes: [])
        if aService != bService || (a.service == nil) != (b.service == nil) {
            return a.service == nil ? b.service != nil : (b.service != nil && aService < bService)
        }
        return a.label < b.label
    }
}
