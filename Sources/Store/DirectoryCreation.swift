import Glibc

/// Creates `path` and its missing parents, like `mkdir -p`. Foundation's own errors read
/// `Error Domain=NSCocoaErrorDomain Code=4` on Linux; this names the directory and the reason.
public func createDirectories(_ path: String) throws(StoreError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw StoreError(message: "cannot create the directory \(path): \(prefix): \(String(cString: strerror(errno)))")
        }
        prefix += "/"
    }
    var status = stat()
    guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
        throw StoreError(message: "cannot create the directory \(path): something that is not a directory is in the way")
    }
}
