import Foundation

/// Standard output in large writes; a write that fails (a full disk, a closed pipe) ends the
/// program with a message instead of a crash.
final class BufferedOutput {
    private var buffer = Data()

    func write(_ data: Data) {
        buffer.append(data)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        do {
            try FileHandle.standardOutput.write(contentsOf: buffer)
        } catch {
            FileHandle.standardError.write(Data("perfq: cannot write the output: \((error as NSError).localizedDescription)\n".utf8))
            exit(2)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
