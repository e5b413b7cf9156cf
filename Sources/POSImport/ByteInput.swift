#if canImport(Glibc)
import Glibc
#endif

/// A source of bytes read block by block: the raw file, or the file transcoded to UTF-8.
protocol ByteInput: AnyObject {
    /// Fills up to `capacity` bytes at `into`; returns how many (0 at the end of the input).
    func read(into: UnsafeMutablePointer<UInt8>, capacity: Int) throws(POSImportError) -> Int
    /// How many bytes of the underlying file have been consumed so far.
    var fileBytesConsumed: Int { get }
}

/// The bytes of a file, read with read(2) in whatever block size the caller asks for.
final class FileInput: ByteInput {
    let path: String
    private var fd: Int32
    private(set) var fileBytesConsumed = 0
    /// The file's size when it was opened.
    let size: Int

    /// Opens `path` for reading, starting `skip` bytes in (to step over a byte-order mark).
    init(path: String, skip: Int = 0) throws(POSImportError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        if fstat(fd, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                fd = -1
                throw .cannotOpen(path: path, reason: "it is a folder")
            }
            size = Int(st.st_size)
        } else {
            size = 0
        }
        if skip > 0 {
            lseek(fd, off_t(skip), SEEK_SET)
            fileBytesConsumed = skip
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    func read(into p: UnsafeMutablePointer<UInt8>, capacity: Int) throws(POSImportError) -> Int {
        while true {
            let n = Glibc.read(fd, p, capacity)
            if n >= 0 { fileBytesConsumed += n; return n }
            if errno == EINTR { continue }
            throw .readFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads up to `count` bytes from the start of the file (for sniffing), leaving the position alone.
    static func head(path: String, count: Int) throws(POSImportError) -> [UInt8] {
        let input = try FileInput(path: path)
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try bytes.withUnsafeMutableBufferPointer { (b) throws(POSImportError) -> Int in
                try input.read(into: b.baseAddress! + filled, capacity: count - filled)
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

/// A file in another encoding (GB18030, UTF-16), converted to UTF-8 with glibc's iconv as it is read.
final class TranscodingInput: ByteInput {
    private let source: FileInput
    private let encoding: String
    private var cd: iconv_t
    private var pending: [UInt8] = []          // undecoded bytes carried over (a sequence split by a block)
    private var pendingStart = 0
    private var sourceDone = false
    private var decodedOffset = 0              // bytes of the source converted so far (for error offsets)

    /// Converts `source` from `encoding` (an iconv name such as `GB18030`) to UTF-8.
    init(source: FileInput, encoding: String) throws(POSImportError) {
        self.source = source
        self.encoding = encoding
        cd = iconv_open("UTF-8", encoding)
        if cd == iconv_t(bitPattern: -1) {
            throw .invalidOption(name: "encoding", reason: "this system's iconv cannot read \(encoding)")
        }
        decodedOffset = source.fileBytesConsumed
    }

    deinit { iconv_close(cd) }

    var fileBytesConsumed: Int { source.fileBytesConsumed }

    func read(into p: UnsafeMutablePointer<UInt8>, capacity: Int) throws(POSImportError) -> Int {
        precondition(capacity >= 16, "output block too small for one character")
        while true {
            if pending.count - pendingStart < 16 && !sourceDone {
                // Top up the carried bytes with the next block of the file.
                pending.removeSubrange(0..<pendingStart)
                pendingStart = 0
                let old = pending.count
                pending.append(contentsOf: repeatElement(0, count: 1 << 16))
                let n = try pending.withUnsafeMutableBufferPointer { (b) throws(POSImportError) -> Int in
                    try source.read(into: b.baseAddress! + old, capacity: 1 << 16)
                }
                pending.removeSubrange((old + n)...)
                if n == 0 { sourceDone = true }
            }
            let available = pending.count - pendingStart
            if available == 0 { return 0 }
            var produced = 0
            var failure: Int32 = 0
            var consumed = 0
            pending.withUnsafeMutableBufferPointer { b in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(b.baseAddress! + pendingStart)
                    .assumingMemoryBound(to: CChar.self)
                var inLeft = available
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(p).assumingMemoryBound(to: CChar.self)
                var outLeft = capacity
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                if r == -1 { failure = errno }
                consumed = available - inLeft
                produced = capacity - outLeft
            }
            pendingStart += consumed
            decodedOffset += consumed
            if failure == EILSEQ || (failure == EINVAL && sourceDone) {
                if produced > 0 { return produced }   // hand back what decoded; fail on the next call
                throw .undecodableText(path: source.path, encoding: encoding, byteOffset: decodedOffset)
            }
            if produced > 0 { return produced }
            if failure == EINVAL && !sourceDone { continue } // incomplete sequence: read more
            if failure == E2BIG { continue }
        }
    }
}
