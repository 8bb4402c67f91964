#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The update arithmetic of librrd 1.7.2 (`rrd_update.c`), in its order of operations: every
/// expression below is evaluated as librrd evaluates it, in IEEE doubles without fused
/// multiply-add, because a different order changes the last bit of a stored value.
extension RoundRobinFile {
    /// Applies `rrdtool update` arguments (`time:v1:v2…`, `N:…`) in order.
    ///
    /// As with librrd, arguments before a failing one stay applied. With `skipPastUpdates`, an
    /// argument not newer than the last update is skipped instead of failing.
    public func update(_ arguments: [String], template: [String]? = nil, skipPastUpdates: Bool = false) throws(RRDError) {
        guard isWritable else { throw RRDError("'\(path)' was opened read-only") }
        let positions = try templatePositions(template)
        for argument in arguments {
            do throws(RRDError) {
                let (timeText, values) = try split(argument, expecting: positions?.count ?? schema.dataSources.count)
                let (time, microseconds) = try Self.readingTime(timeText, atStyle: atStyle(argument))
                if skipPastUpdates && !isAfterLastUpdate(time, microseconds) { continue }
                var ordered = values
                if let positions {
                    ordered = Array(repeating: "U", count: schema.dataSources.count)
                    for (value, position) in zip(values, positions) { ordered[position] = value }
                }
                try apply(time: time, microseconds: microseconds, values: ordered)
            } catch {
                throw RRDError("\(path): \(error.message)")
            }
        }
    }

    /// Applies one reading of every data source, in data-source order, at `time` seconds and
    /// `microseconds`. Values are rrdtool's texts: a number, or `U` for unknown.
    public func update(time: Int64, microseconds: Int64 = 0, values: [String]) throws(RRDError) {
        guard isWritable else { throw RRDError("'\(path)' was opened read-only") }
        guard values.count == schema.dataSources.count else {
            throw RRDError("\(path): expected \(schema.dataSources.count) data source readings (got \(values.count)) from \(time)")
        }
        do throws(RRDError) {
            try apply(time: time, microseconds: microseconds, values: values)
        } catch {
            throw RRDError("\(path): \(error.message)")
        }
    }

    /// Whether `time` is late enough for an update: librrd requires a strictly later instant.
    public func isAfterLastUpdate(_ time: Int64, _ microseconds: Int64 = 0) -> Bool {
        time > lastUpdate || (time == lastUpdate && microseconds > lastUpdateMicroseconds)
    }

    private func templatePositions(_ template: [String]?) throws(RRDError) -> [Int]? {
        guard let template else { return nil }
        var positions: [Int] = []
        if template.count > schema.dataSources.count {
            throw RRDError("tmplt contains more DS definitions than RRD")
        }
        for name in template {
            guard let index = schema.dataSources.firstIndex(where: { $0.name == name }) else {
                throw RRDError("unknown DS name '\(name)'")
            }
            positions.append(index)
        }
        return positions
    }

    /// Whether the time ends at an `@` (`1700000010@1:2`, or at-style words) rather than a colon.
    private func atStyle(_ argument: String) -> Bool {
        guard let at = argument.firstIndex(of: "@") else { return false }
        return argument.firstIndex(of: ":").map { at < $0 } ?? true
    }

    /// Splits `time:v1:v2…` (or `time@v1:v2…`) on its colons, working on the UTF-8 bytes.
    private func split(_ argument: String, expecting count: Int) throws(RRDError) -> (String, [String]) {
        var text = argument
        let result = text.withUTF8 { bytes in Result { () throws(RRDError) -> (String, [String]) in
            func text(_ start: Int, _ end: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            let separator = self.atStyle(argument) ? UInt8(ascii: "@") : UInt8(ascii: ":")
            guard let first = bytes.firstIndex(of: separator) else {
                throw RRDError("expected timestamp not found in data source from \(argument)")
            }
            let timeText = text(0, first)
            var values: [String] = []
            values.reserveCapacity(count)
            var start = first + 1
            while true {
                if values.count == count {
                    throw RRDError("found extra data on update argument: \(text(start, bytes.count))")
                }
                let next = bytes[start...].firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
                values.append(text(start, next))
                if next == bytes.count { break }
                start = next + 1
            }
            if values.count < count {
                throw RRDError("expected \(count) data source readings (got \(values.count)) from \(timeText)")
            }
            return (timeText, values)
        } }
        return try result.get()
    }

    /// A reading's time: `N` for now, epoch seconds with an optional fraction, or a negative offset
    /// from now.
    static func readingTime(_ text: String, atStyle: Bool = false) throws(RRDError) -> (Int64, Int64) {
        var now = timeval()
        if atStyle {
            // rrdtool's at-style times have whole seconds.
            do throws(RRDError) {
                return (try TimeSpecification(parsing: text).resolve(now: TimeSpecification.now()), 0)
            } catch {
                throw RRDError("ds time: \(text): \(error.message)")
            }
        }
        if text == "N" {
            gettimeofday(&now, nil)
            return (Int64(now.tv_sec), Int64(now.tv_usec))
        }
        var number: Double
        switch RRDNumber.value(text) {
        case .success(let value): number = value
        case .failure(let error): throw RRDError("error while parsing time in get_time_from_reading - \(error)")
        }
        if number < 0 {
            gettimeofday(&now, nil)
            // librrd adds the microseconds with the single-precision constant 1e-6f.
            number = Double(now.tv_sec) + Double(now.tv_usec) * Double(Float(1e-6)) + number
        }
        // C's (time_t) conversion of a value out of range gives INT64_MIN on x86_64, which librrd
        // then refuses as an update before the last one.
        guard let seconds = Int64(exactly: number.rounded(.towardZero)) else { return (Int64.min, 0) }
        let fraction = (number - Double(seconds)) * 1e6
        return (seconds, Int64(exactly: fraction.rounded(.towardZero)) ?? 0)
    }

    // MARK: The arithmetic

    func apply(time: Int64, microseconds: Int64, values: [String]) throws(RRDError) {
        try checkSize()
        let last = lastUpdate
        let lastMicroseconds = lastUpdateMicroseconds
        guard isAfterLastUpdate(time, microseconds) else {
            throw RRDError("illegal attempt to update using time \(time) when last update time is \(last) (minimum one second step)")
        }
        var interval = Double(time - last) + Double(microseconds - lastMicroseconds) / 1e6
        for index in schema.dataSources.indices {
            try readInput(index, values[index], interval: interval)
        }
        if tracer != nil {
            tracedTime = time
            tracedValues = values
        }

        let step = schema.step
        let lastStart = UInt64(last) - UInt64(last) % step
        let currentStart = UInt64(time) - UInt64(time) % step
        var elapsed = (currentStart - lastStart) / step
        var openStep = lastStart / step
        guard elapsed > 0 else {
            for index in schema.dataSources.indices {
                let input = pdpInputs[index]
                if input.isNaN {
                    let offset = layout.unknownSeconds(index)
                    setU64(Self.unsigned(Double(u64(offset)) + interval.rounded(.down)), offset)
                } else {
                    let offset = layout.pdpValue(index)
                    let value = double(offset)
                    setDouble(value.isNaN ? input : value + input, offset)
                    tracer?.stepAmount(dataSource: index, time: time, reading: values[index], seconds: interval, amount: input, startsStep: value.isNaN)
                }
            }
            setLastUpdate(time, microseconds)
            return
        }
        var before = Double(currentStart - UInt64(last)) - Double(lastMicroseconds) / 1e6
        let after = Double(UInt64(time) % step) + Double(microseconds) / 1e6

        // librrd 1.7.2 (PR #970): when one update closes several steps and the previous update
        // left a step partly filled, that step first gets only its own share of the new value.
        let openSeconds = UInt64(before) % step
        if elapsed > 1 && openSeconds > 0 {
            let share = Double(openSeconds)
            for index in schema.dataSources.indices {
                let input = pdpInputs[index]
                if input.isNaN {
                    pdpRates[index] = input
                } else {
                    let part = (input * share) / interval
                    pdpInputs[index] = input - part
                    pdpRates[index] = part
                }
            }
            closeSteps(interval: share, before: share, after: 0.0, elapsed: 1, inputs: pdpRates, openStep: openStep)
            consolidate(rates: pdpRates, elapsed: 1, openStep: openStep)
            interval -= share
            before -= share
            elapsed -= 1
            openStep += 1
        }
        closeSteps(interval: interval, before: before, after: after, elapsed: elapsed, inputs: pdpInputs, openStep: openStep)
        consolidate(rates: pdpInputs, elapsed: elapsed, openStep: openStep)
        setLastUpdate(time, microseconds)
    }

    /// A double stored in an unsigned field, as C's conversion does for what fits; nothing a
    /// valid file produces is out of range, and a corrupt one must not crash us.
    static func unsigned(_ value: Double) -> UInt64 {
        value >= 0 && value < 18_446_744_073_709_551_616.0 ? UInt64(value) : 0
    }

    private func setLastUpdate(_ time: Int64, _ microseconds: Int64) {
        mapping.storeBytes(of: time, toByteOffset: layout.liveHead, as: Int64.self)
        mapping.storeBytes(of: microseconds, toByteOffset: layout.liveHead + 8, as: Int64.self)
    }

    /// Turns one data source's reading into the amount it adds to the open step (rate × seconds
    /// for GAUGE), or NaN; records the reading as `last_ds`.
    private func readInput(_ index: Int, _ value: String, interval: Double) throws(RRDError) {
        let source = sources[index]
        let heartbeatExceeded = Double(source.heartbeat) < interval
        if heartbeatExceeded { setLastReading(index, "U") }
        var input = DoubleBits.unknown
        var rate = DoubleBits.unknown
        if !(value.utf8.first == UInt8(ascii: "U") || heartbeatExceeded) {
            switch source.type {
            case .gauge:
                let reading = try Self.number(value, type: "DST_GAUGE")
                input = reading * interval
                rate = reading
            case .absolute:
                let reading = try Self.number(value, type: "DST_ABSOLUTE")
                input = reading
                rate = reading / interval
            case .counter:
                guard value.utf8.allSatisfy(RRDNumber.isDigit) else {
                    throw RRDError("not a simple unsigned integer: '\(value)'")
                }
                if !lastReadingIsUnknown(index) {
                    input = CounterDifference.of(Array(value.utf8), minus: lastReadingBytes(index))
                    // librrd's wrap correction adds 2^32−1 (and then 2^64−2^32), one less than
                    // the counter's modulus: a wrap from 4294967290 to 4 counts 9, not 10.
                    if input < 0 { input += 4_294_967_295.0 }
                    if input < 0 { input += 18_446_744_069_414_584_320.0 }
                    rate = input / interval
                }
            case .derive:
                let digits = value.utf8.first == UInt8(ascii: "-") ? value.utf8.dropFirst() : value.utf8[...]
                guard digits.allSatisfy(RRDNumber.isDigit) else {
                    throw RRDError("not a simple signed integer: '\(value)'")
                }
                if !lastReadingIsUnknown(index) {
                    input = CounterDifference.of(Array(value.utf8), minus: lastReadingBytes(index))
                    rate = input / interval
                }
            case .dcounter, .dderive:
                // librrd reads neither reading while the previous one is unknown.
                guard !lastReadingIsUnknown(index) else { break }
                let type = source.type == .dcounter ? "DST_DCOUNTER" : "DST_DDERIVE"
                let reading = try Self.number(value, type: type)
                // The previous reading is parsed again each time, and a bad one fails the update.
                let previous = try Self.number(lastReading(index), type: type)
                if source.type == .dcounter && ((reading > 0 && previous > reading) || (reading < 0 && reading > previous)) {
                    input = DoubleBits.unknown
                } else {
                    input = reading - previous
                    rate = input / interval
                }
            }
        }
        if !rate.isNaN && ((!source.maximum.isNaN && rate > source.maximum) || (!source.minimum.isNaN && rate < source.minimum)) {
            input = DoubleBits.unknown
        }
        setLastReading(index, value)
        pdpInputs[index] = input
    }

    private static func number(_ value: String, type: String) throws(RRDError) -> Double {
        switch RRDNumber.value(value) {
        case .success(let number): return number
        case .failure(let error): throw RRDError("Function update_pdp_prep, case \(type) - \(error)")
        }
    }

    private func lastReadingIsUnknown(_ index: Int) -> Bool {
        mapping.load(fromByteOffset: layout.lastReading(index), as: UInt8.self) == UInt8(ascii: "U")
    }

    private func lastReadingBytes(_ index: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: mapping + layout.lastReading(index), count: 30).prefix { $0 != 0 })
    }

    /// `strncpy(last_ds, value, 29)` and a terminating NUL in byte 29, as librrd does.
    private func setLastReading(_ index: Int, _ value: String) {
        let target = mapping + layout.lastReading(index)
        var written = 0
        for byte in value.utf8.prefix(29) {
            target.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
            written += 1
        }
        while written < 30 {
            target.storeBytes(of: 0, toByteOffset: written, as: UInt8.self)
            written += 1
        }
    }

    /// Closes `elapsed` steps: each gets the rate averaged over the known seconds of the open
    /// step and of this update; leaves in `inputs` the rate of each closed step.
    private func closeSteps(interval: Double, before: Double, after: Double, elapsed: UInt64, inputs: UnsafeMutableBufferPointer<Double>, openStep: UInt64) {
        let step = schema.step
        for index in schema.dataSources.indices {
            let input = inputs[index]
            let valueOffset = layout.pdpValue(index)
            let unknownOffset = layout.unknownSeconds(index)
            var value = double(valueOffset)
            let unknownSeconds = u64(unknownOffset)
            var unknownTail = 0.0
            if input.isNaN {
                unknownTail = before
            } else {
                if value.isNaN { value = 0.0 }
                let amount = (input / interval) * before
                value = value + amount
                // Not a copy: librrd adds the first amount of a step to 0.0 here.
                tracer?.stepAmount(dataSource: index, time: tracedTime, reading: tracedValues[index], seconds: before, amount: amount, startsStep: false)
            }
            let rate: Double
            let heartbeatExceeded = interval > Double(sources[index].heartbeat)
            let denominator = Double(elapsed &* step &- unknownSeconds) - unknownTail
            if heartbeatExceeded || Double(step) / 2.0 < Double(unknownSeconds) {
                rate = DoubleBits.unknown
            } else {
                rate = value / denominator
            }
            tracer?.stepsClosed(dataSource: index, firstStepEnd: Int64((openStep + 1) * step), count: elapsed, numerator: value,
                                denominator: denominator, rate: rate, unknownSeconds: unknownSeconds, heartbeatExceeded: heartbeatExceeded)
            if input.isNaN {
                setU64(Self.unsigned(after.rounded(.down)), unknownOffset)
                setDouble(DoubleBits.unknown, valueOffset)
            } else {
                setU64(0, unknownOffset)
                let amount = (input / interval) * after
                setDouble(amount, valueOffset)
                tracer?.stepAmount(dataSource: index, time: tracedTime, reading: tracedValues[index], seconds: after, amount: amount, startsStep: true)
            }
            inputs[index] = rate
        }
    }

    /// Feeds the rate of `elapsed` closed steps into every archive and writes the rows that
    /// complete. `openStep` is the absolute index of the first closed step.
    private func consolidate(rates: UnsafeMutableBufferPointer<Double>, elapsed: UInt64, openStep: UInt64) {
        for archiveIndex in archives.indices {
            let archive = archives[archiveIndex]
            let stepsPerRow = archive.stepsPerRow
            let needed = stepsPerRow - openStep % stepsPerRow
            let rowsToWrite = needed <= elapsed ? min((elapsed - needed) / stepsPerRow + 1, archive.rows) : 0
            for sourceIndex in schema.dataSources.indices {
                let rate = rates[sourceIndex]
                let primaryOffset = layout.cdpPrimary(archiveIndex, sourceIndex)
                let secondaryOffset = layout.cdpSecondary(archiveIndex, sourceIndex)
                if stepsPerRow == 1 {
                    // One step per row: the accumulator is never used; librrd only sets the
                    // primary and, when more than one row is written, the secondary value.
                    setDouble(rate, primaryOffset)
                    if elapsed >= 2 { setDouble(rate, secondaryOffset) }
                    continue
                }
                let valueOffset = layout.cdpValue(archiveIndex, sourceIndex)
                let unknownOffset = layout.cdpUnknownPoints(archiveIndex, sourceIndex)
                var value = double(valueOffset)
                var unknownPoints = u64(unknownOffset)
                if rowsToWrite > 0, let tracer {
                    let unknown = rate.isNaN ? unknownPoints &+ needed : unknownPoints
                    tracer.rowCombined(archive: archiveIndex, dataSource: sourceIndex,
                                       time: Self.rowTime(0, of: rowsToWrite, openStep: openStep, elapsed: elapsed, stepsPerRow: stepsPerRow, step: schema.step),
                                       accumulator: value, lastRate: rate, lastSteps: needed, unknownSteps: unknown)
                }
                if rowsToWrite > 0 {
                    if rate.isNaN {
                        unknownPoints &+= needed
                        setDouble(DoubleBits.unknown, secondaryOffset)
                    } else {
                        setDouble(rate, secondaryOffset)
                    }
                    let primary: Double
                    if Double(unknownPoints) > Double(stepsPerRow) * archive.xff {
                        primary = DoubleBits.unknown
                    } else {
                        switch archive.function {
                        case .average:
                            primary = ((value.isNaN ? 0 : value) + (rate.isNaN ? 0 : rate) * Double(needed)) / Double(stepsPerRow - unknownPoints)
                        case .maximum:
                            let current = value.isNaN ? -Double.infinity : value
                            let candidate = rate.isNaN ? -Double.infinity : rate
                            primary = candidate > current ? candidate : current
                        case .minimum:
                            let current = value.isNaN ? Double.infinity : value
                            let candidate = rate.isNaN ? Double.infinity : rate
                            primary = candidate < current ? candidate : current
                        case .last:
                            primary = rate
                        }
                    }
                    setDouble(primary, primaryOffset)
                    let carried = (elapsed - needed) % stepsPerRow
                    if carried == 0 || rate.isNaN {
                        switch archive.function {
                        case .average: value = 0.0
                        case .maximum: value = -Double.infinity
                        case .minimum: value = Double.infinity
                        case .last: value = DoubleBits.unknown
                        }
                    } else {
                        value = archive.function == .average ? rate * Double(carried) : rate
                    }
                    unknownPoints = rate.isNaN ? carried : 0
                } else if rate.isNaN {
                    unknownPoints &+= elapsed
                } else if value.isNaN {
                    value = archive.function == .average ? rate * Double(elapsed) : rate
                } else {
                    switch archive.function {
                    case .average: value = value + rate * Double(elapsed)
                    case .minimum: value = rate < value ? rate : value
                    case .maximum: value = rate > value ? rate : value
                    case .last: value = rate
                    }
                }
                setDouble(value, valueOffset)
                setU64(unknownPoints, unknownOffset)
            }
            writeRows(archive: archiveIndex, count: rowsToWrite, openStep: openStep, elapsed: elapsed)
        }
    }

    /// The time of the `index`-th of `count` rows written by one update (the last ends with the
    /// last closed step; when a gap is longer than the archive, only its last rows are written).
    static func rowTime(_ index: UInt64, of count: UInt64, openStep: UInt64, elapsed: UInt64, stepsPerRow: UInt64, step: UInt64) -> Int64 {
        let lastCompleted = (openStep + elapsed) / stepsPerRow * stepsPerRow * step
        return Int64(lastCompleted) - Int64((count - 1 - index) * stepsPerRow * step)
    }

    private func writeRows(archive archiveIndex: Int, count: UInt64, openStep: UInt64, elapsed: UInt64) {
        guard count > 0 else { return }
        let rows = archives[archiveIndex].rows
        let pointerOffset = layout.currentRow(archiveIndex)
        var row = u64(pointerOffset)
        for written in 0..<count {
            row += 1
            if row >= rows { row = 0 }
            for sourceIndex in schema.dataSources.indices {
                let value = written == 0
                    ? double(layout.cdpPrimary(archiveIndex, sourceIndex))
                    : double(layout.cdpSecondary(archiveIndex, sourceIndex))
                setCell(value, archive: archiveIndex, row: Int(row), dataSource: sourceIndex)
                tracer?.rowWritten(archive: archiveIndex, dataSource: sourceIndex,
                                   time: Self.rowTime(written, of: count, openStep: openStep, elapsed: elapsed, stepsPerRow: archives[archiveIndex].stepsPerRow, step: schema.step),
                                   value: value)
            }
        }
        setU64(row, pointerOffset)
    }
}
