/// The folds' own buffers grow by doubling: `count` initialized elements of a full `buffer` are
/// moved into one twice its capacity (from `allocate`), the old one is freed, and `capacity`
/// doubles. Returns the new buffer.
@inline(__always)
func doubled<T>(_ buffer: UnsafeMutablePointer<T>, count: Int, capacity: inout Int,
                allocate: (Int) -> UnsafeMutablePointer<T> = { UnsafeMutablePointer<T>.allocate(capacity: $0) }) -> UnsafeMutablePointer<T> {
    let grown = allocate(capacity * 2)
    grown.moveInitialize(from: buffer, count: count)
    buffer.deallocate()
    capacity *= 2
    return grown
}
