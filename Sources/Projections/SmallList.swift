/// A value a `SmallList` fills its unused inline places with (never read as an element).
public protocol SmallListElement {
    /// Any value of the type: what an unused place holds.
    static var placeholder: Self { get }
}

extension Int64: SmallListElement { public static var placeholder: Int64 { 0 } }
extension UInt64: SmallListElement { public static var placeholder: UInt64 { 0 } }
extension String: SmallListElement { public static var placeholder: String { "" } }

/// A list of a read model's record that holds its first `N` elements inside the record itself,
/// and only the rest on the heap.
///
/// A customer's purchase days, categories, channels and recent receipts are a few elements each.
/// As arrays, a million customers' records were several million small heap blocks: each a miss
/// of its own when an event touched it (found only once the record's line had come), a `malloc`
/// when it grew and a `free` when the rebuild was done. Inline, a list lies in the record's own
/// lines, which the fold starts loading from the customer's slot alone.
public struct SmallList<let N: Int, Element: SmallListElement> {
    /// Elements `0..<min(count, N)`; the places after them hold `Element.placeholder`.
    @usableFromInline var head: InlineArray<N, Element>
    /// Elements `N...`: empty (no heap storage) until the list holds more than `N`.
    @usableFromInline var rest: [Element]
    /// How many elements.
    @usableFromInline var stored: UInt32

    /// An empty list.
    @inlinable public init() {
        head = InlineArray(repeating: Element.placeholder)
        rest = []
        stored = 0
    }

    /// A list of `elements`, in their order.
    @inlinable public init<S: Sequence>(_ elements: S) where S.Element == Element {
        self.init()
        for e in elements { append(e) }
    }

    /// Adds `element` at the end.
    @inlinable public mutating func append(_ element: Element) {
        let n = Int(stored)
        if n < N { head[n] = element } else { rest.append(element) }
        stored += 1
    }

    /// Inserts `element` at `i` (`0...count`); within the inline places without touching the heap.
    @inlinable public mutating func insert(_ element: Element, at i: Int) {
        let n = Int(stored)
        precondition(i >= 0 && i <= n, "SmallList index out of range")
        if i == n { append(element); return }
        if n < N {
            var j = n
            while j > i { head[j] = head[j - 1]; j -= 1 }
            head[i] = element
            stored += 1
        } else {
            replaceSubrange(i..<i, with: CollectionOfOne(element))
        }
    }

    /// Removes the first `k` elements (`0...count`); within the inline places without touching the heap.
    @inlinable public mutating func removeFirst(_ k: Int) {
        let n = Int(stored)
        precondition(k >= 0 && k <= n, "SmallList cannot remove more elements than it has")
        guard k > 0 else { return }
        if n <= N {
            for j in 0..<(n - k) { head[j] = head[j + k] }
            for j in (n - k)..<n { head[j] = Element.placeholder }
            stored -= UInt32(k)
        } else {
            replaceSubrange(0..<k, with: EmptyCollection())
        }
    }
}

extension SmallList: RandomAccessCollection, MutableCollection {
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(stored) }
    @inlinable public var count: Int { Int(stored) }
    @inlinable public var isEmpty: Bool { stored == 0 }

    @inlinable public subscript(i: Int) -> Element {
        get {
            precondition(i >= 0 && i < Int(stored), "SmallList index out of range")
            return i < N ? head[i] : rest[i - N]
        }
        _modify {
            precondition(i >= 0 && i < Int(stored), "SmallList index out of range")
            if i < N { yield &head[i] } else { yield &rest[i - N] }
        }
    }
}

extension SmallList: RangeReplaceableCollection {
    /// The general case (a change that moves elements between the inline places and the heap):
    /// the list is made again from the result.
    @inlinable public mutating func replaceSubrange<C: Collection>(_ subrange: Range<Int>, with newElements: C) where C.Element == Element {
        precondition(subrange.lowerBound >= 0 && subrange.upperBound <= Int(stored), "SmallList range out of range")
        var all = Array(self)
        all.replaceSubrange(subrange, with: newElements)
        self = SmallList(all)
    }

    @inlinable public mutating func removeAll(keepingCapacity keepCapacity: Bool = false) { self = SmallList() }
}

extension SmallList: ExpressibleByArrayLiteral {
    @inlinable public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension SmallList: Equatable where Element: Equatable {
    @inlinable public static func == (a: SmallList, b: SmallList) -> Bool { a.count == b.count && a.elementsEqual(b) }
}

extension SmallList: Sendable where Element: Sendable {}

extension SmallList: CustomStringConvertible {
    public var description: String { Array(self).description }
}
