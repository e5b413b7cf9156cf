import LMDB

/// A batch of a rebuilt model's records encoded ahead of their write transaction: keys and
/// values in one buffer, in key order.
///
/// Encoding is most of the cost of writing a record, and it needs no transaction; LMDB lets one
/// writer at a time in. Encoded outside, the two rebuild threads encode their models side by side
/// and take turns only to copy the bytes into the tree.
struct EncodedRecords: ~Copyable {
    /// Keys and values, back to back: key i is `bytes[bounds[2i]..<bounds[2i+1]]`, its value
    /// `bytes[bounds[2i+1]..<bounds[2i+2]]`.
    var writer = RecordWriter()
    private var bounds: [Int] = [0]

    /// How many records.
    var count: Int { (bounds.count - 1) / 2 }

    /// Empties the batch, keeping its capacity.
    mutating func reset() {
        writer.reset()
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
    }

    /// Adds a record: its key, then `encode` writes its value into `writer`.
    @inline(__always)
    mutating func add(key: UnsafeRawBufferPointer, _ encode: (inout RecordWriter) -> Void) {
        writer.raw(key)
        bounds.append(writer.count)
        encode(&writer)
        bounds.append(writer.count)
    }

    /// Puts every record, in order, at the end of `db` (MDB_APPEND: the keys are sorted and come
    /// after every key already there).
    func put(db: Database, txn: borrowing Transaction) throws {
        try writer.withBytes { b in
            var i = 0
            while i + 2 < bounds.count {
                let k = UnsafeRawBufferPointer(rebasing: b[bounds[i]..<bounds[i + 1]])
                let v = UnsafeRawBufferPointer(rebasing: b[bounds[i + 1]..<bounds[i + 2]])
                try txn.put(db, key: k, value: v, flags: .append)
                i += 2
            }
        }
    }
}
