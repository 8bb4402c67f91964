import Foundation

/// Standard output in large writes; a write that fails (a full disk, a closed pipe) ends the
/// program with a message instead of a crash.
final class BufferedOutput {
    private var buffer = Data()

    func write(_ data: Data) {
        buffer.append(data)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// A large piece goes out as it is, not copied into the buffer.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 1 << 16 else {
            write(Data(bytes))
            return
        }
        flush()
        write(contentsOf: bytes)
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(contentsOf bytes: some DataProtocol) {
        do {
            try FileHandle.standardOutput.write(contentsOf: bytes)
        } catch {
            FileHandle.standardError.write(Data("perfq: cannot write the output: \((error as NSError).localizedDescription)\n".utf8))
            exit(2)
        }
    }
}
