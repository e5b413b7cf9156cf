import Dispatch

/// Frees a rebuild's folded records after they are written, on a thread of its own.
///
/// A million customers' records hold several million small heap blocks (their arrays); freeing
/// them took a third of a rebuild's writing phase, on the thread the rebuild waits for. Handed
/// here once every model is written, the freeing neither holds up the rebuild nor takes a core
/// from its encoding, and a command that exits right after the rebuild does not wait for it.
enum DeferredRelease {
    private static let queue = DispatchQueue(label: "clientele.rebuild.release", qos: .utility)

    /// Drops `value` (and so frees what only it holds) on the release thread.
    static func drop<T>(_ value: consuming T) {
        let box = Box(value)
        queue.async { box.value = nil }
    }

    /// Runs `free` on the release thread.
    static func run(_ free: @escaping @Sendable () -> Void) {
        queue.async(execute: free)
    }

    /// Holds what is to be dropped. `@unchecked Sendable`: only the release thread touches it once
    /// it is handed over.
    private final class Box<T>: @unchecked Sendable {
        var value: T?
        init(_ value: T) { self.value = value }
    }
}

/// A buffer of records handed to the release thread. `@unchecked Sendable`: nothing else holds
/// the pointer once it is handed over.
struct ReleasedRecords<R>: @unchecked Sendable {
    /// The records, in `TableMemory` of `capacity` values, initialized at `slots`.
    let records: UnsafeMutablePointer<R>
    let slots: [Int32]
    let capacity: Int

    /// Deinitializes and frees the records on the release thread.
    func free() {
        DeferredRelease.run {
            for s in slots { (records + Int(s)).deinitialize(count: 1) }
            TableMemory.free(records, capacity: capacity)
        }
    }
}
