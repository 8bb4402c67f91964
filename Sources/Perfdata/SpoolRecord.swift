/// One check result from a bulk perfdata spool file: a line of TAB-separated `KEY::VALUE` fields.
public struct SpoolRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case service = "SERVICEPERFDATA"
        case host = "HOSTPERFDATA"
    }

    /// 1-based line number in the spool file.
    public var lineNumber: Int
    public var kind: Kind
    /// `TIMET`, seconds since the epoch.
    public var time: Int64
    public var host: RawText
    /// `SERVICEDESC`; nil for host checks.
    public var service: RawText?
    /// `SERVICECHECKCOMMAND` or `HOSTCHECKCOMMAND`, with its `!` arguments.
    public var checkCommand: RawText?
    public var hostState: String?
    public var hostStateType: String?
    public var serviceState: String?
    public var serviceStateType: String?
    /// The perfdata field as it was written.
    public var perfdata: RawText
    public var parsed: ParsedPerfdata
    /// What was odd about the line itself, apart from its perfdata.
    public var notes: [String]

    public init(
        lineNumber: Int, kind: Kind, time: Int64, host: RawText, service: RawText? = nil,
        checkCommand: RawText? = nil, hostState: String? = nil, hostStateType: String? = nil,
        serviceState: String? = nil, serviceStateType: String? = nil,
        perfdata: RawText, parsed: ParsedPerfdata, notes: [String] = []
    ) {
        self.lineNumber = lineNumber
        self.kind = kind
        self.time = time
        self.host = host
        self.service = service
        self.checkCommand = checkCommand
        self.hostState = hostState
        self.hostStateType = hostStateType
        self.serviceState = serviceState
        self.serviceStateType = serviceStateType
        self.perfdata = perfdata
        self.parsed = parsed
        self.notes = notes
    }

    /// The check command's name without its `!` arguments, as PNP4Nagios names templates.
    public var commandName: RawText? {
        guard let command = checkCommand?.bytes else { return nil }
        return RawText(bytes: Array(command.prefix { $0 != UInt8(ascii: "!") }))
    }

    /// Every warning, the line's own first.
    public var warnings: [String] {
        notes + parsed.warnings.map { "perfdata \($0)" }
    }
}

extension SpoolRecord: Encodable {
    private enum CodingKeys: String, CodingKey {
        case line, datatype, time, host, service
        case checkCommand = "check_command"
        case hostState = "host_state"
        case hostStateType = "host_state_type"
        case serviceState = "service_state"
        case serviceStateType = "service_state_type"
        case items, warnings
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lineNumber, forKey: .line)
        try container.encode(kind.rawValue, forKey: .datatype)
        try container.encode(time, forKey: .time)
        try container.encode(host, forKey: .host)
        try container.encode(service, forKey: .service)
        try container.encode(checkCommand, forKey: .checkCommand)
        try container.encode(hostState, forKey: .hostState)
        try container.encode(hostStateType, forKey: .hostStateType)
        try container.encode(serviceState, forKey: .serviceState)
        try container.encode(serviceStateType, forKey: .serviceStateType)
        try container.encode(parsed.items, forKey: .items)
        try container.encode(warnings, forKey: .warnings)
    }
}
