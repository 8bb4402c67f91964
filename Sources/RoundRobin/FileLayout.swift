/// Byte offsets of rrdtool's on-disk structures (x86_64, file versions 3 to 5): the file is a raw
/// image of librrd's C structs, sections back to back.
struct FileLayout: Sendable {
    static let statHeadSize = 128
    static let dataSourceDefinitionSize = 120
    static let archiveDefinitionSize = 120
    static let liveHeadSize = 16
    static let pdpPrepSize = 112
    static let cdpPrepSize = 80
    static let rowPointerSize = 8
    /// `float_cookie`: 8.642135E130; a file with other bits was written on another architecture.
    static let floatCookie: UInt64 = 0x5B1F_2B43_C7C0_252F

    let dataSourceCount: Int
    let archiveCount: Int
    let liveHead: Int
    let pdpPrepBase: Int
    let cdpPrepBase: Int
    let rowPointerBase: Int
    let headerSize: Int
    /// Where each archive's rows start.
    let archiveData: [Int]
    let fileSize: Int

    init(dataSources: Int, rowsPerArchive: [UInt64]) {
        dataSourceCount = dataSources
        archiveCount = rowsPerArchive.count
        liveHead = Self.statHeadSize + Self.dataSourceDefinitionSize * dataSources
            + Self.archiveDefinitionSize * archiveCount
        pdpPrepBase = liveHead + Self.liveHeadSize
        cdpPrepBase = pdpPrepBase + Self.pdpPrepSize * dataSources
        rowPointerBase = cdpPrepBase + Self.cdpPrepSize * dataSources * archiveCount
        headerSize = rowPointerBase + Self.rowPointerSize * archiveCount
        var offset = headerSize
        var starts: [Int] = []
        for rows in rowsPerArchive {
            starts.append(offset)
            offset += 8 * dataSources * Int(rows)
        }
        archiveData = starts
        fileSize = offset
    }

    func dataSourceDefinition(_ index: Int) -> Int {
        Self.statHeadSize + Self.dataSourceDefinitionSize * index
    }

    func archiveDefinition(_ index: Int) -> Int {
        Self.statHeadSize + Self.dataSourceDefinitionSize * dataSourceCount + Self.archiveDefinitionSize * index
    }

    // pdp_prep: last_ds[30], then scratch[0] = unknown seconds, scratch[1] = accumulated value.
    func lastReading(_ dataSource: Int) -> Int { pdpPrepBase + Self.pdpPrepSize * dataSource }
    func unknownSeconds(_ dataSource: Int) -> Int { lastReading(dataSource) + 32 }
    func pdpValue(_ dataSource: Int) -> Int { lastReading(dataSource) + 40 }

    // cdp_prep: scratch[0] value, [1] unknown PDPs, [8] primary and [9] secondary value.
    func cdpValue(_ archive: Int, _ dataSource: Int) -> Int {
        cdpPrepBase + Self.cdpPrepSize * (archive * dataSourceCount + dataSource)
    }
    func cdpUnknownPoints(_ archive: Int, _ dataSource: Int) -> Int { cdpValue(archive, dataSource) + 8 }
    func cdpPrimary(_ archive: Int, _ dataSource: Int) -> Int { cdpValue(archive, dataSource) + 64 }
    func cdpSecondary(_ archive: Int, _ dataSource: Int) -> Int { cdpValue(archive, dataSource) + 72 }

    func currentRow(_ archive: Int) -> Int { rowPointerBase + Self.rowPointerSize * archive }

    func cell(archive: Int, row: Int, dataSource: Int) -> Int {
        archiveData[archive] + 8 * (dataSourceCount * row + dataSource)
    }
}
