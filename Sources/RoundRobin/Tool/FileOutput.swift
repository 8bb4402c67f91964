#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FileOutput {
    static func write(_ text: String, to path: String) throws(RRDError) {
        guard let file = fopen(path, "w") else {
            throw RRDError("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else {
            throw RRDError("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
