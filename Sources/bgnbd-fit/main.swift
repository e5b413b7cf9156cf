// bgnbd-fit: CSV of customer histories in, BG/NBD fit and per-customer predictions out as JSON.
// A thin front for tools/validate-bgnbd.py, which compares CustomerBase with `lifetimes`; the
// model lives in CustomerBase, this file only reads, calls and writes.
import CustomerBase
#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: bgnbd-fit [--horizon T] [--parameters r,alpha,a,b] [--summary] < histories.csv

    Reads one customer a line, `x,t_x,T` (repeat purchase days, time of the last purchase since
    the first, time since the first purchase; a header line is skipped), fits BG/NBD by maximum
    likelihood (or takes --parameters as given) and writes JSON on stdout: the parameters, the
    fit's log-likelihood, iterations and time, and for each customer in input order P(alive),
    P(alive) counting the first purchase as a chance to leave (MBG/NBD's, same parameters)
    and, with --horizon, the expected number of purchases in the next T time units.
    --summary leaves out the per-customer arrays.
    """

struct Options {
    var horizon: Double?
    var parameters: BGNBDParameters?
    var summary = false
}

func fail(_ message: String) -> Never {
    var standardError = StandardError()
    print("bgnbd-fit: \(message)", to: &standardError)
    exit(message.hasPrefix("usage") ? 2 : 1)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}

func parseOptions(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        switch argument {
        case "--horizon":
            guard let text = rest.popFirst(), let value = Double(text), value >= 0, value.isFinite else {
                fail("--horizon needs a time ≥ 0\n\(usage)")
            }
            options.horizon = value
        case "--parameters":
            let values = rest.popFirst()?.split(separator: ",").compactMap { Double($0) } ?? []
            guard values.count == 4 else { fail("--parameters needs r,alpha,a,b\n\(usage)") }
            do {
                options.parameters = try BGNBDParameters(r: values[0], alpha: values[1], a: values[2], b: values[3])
            } catch {
                fail("--parameters: \(error)")
            }
        case "--summary":
            options.summary = true
        case "--help", "-h":
            print(usage)
            exit(0)
        default:
            fail("unknown argument \(argument)\n\(usage)")
        }
    }
    return options
}

/// All of standard input, read in 1 MiB chunks.
func readStandardInput() -> [UInt8] {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        guard count > 0 else { break }
        data.append(contentsOf: chunk[0..<count])
    }
    return data
}

func readHistories() -> [CustomerHistory] {
    let input = readStandardInput()
    let comma = UInt8(ascii: ","), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
    var histories: [CustomerHistory] = []
    var lineNumber = 0
    for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        lineNumber += 1
        let fields = line.split(separator: comma, omittingEmptySubsequences: false).map { field in
            let trimmed = field.drop { $0 == space || $0 == tab }
            let end = trimmed.lastIndex { $0 != space && $0 != tab && $0 != cr }.map { $0 + 1 } ?? trimmed.startIndex
            return String(decoding: trimmed[trimmed.startIndex..<end], as: UTF8.self)
        }
        if fields.allSatisfy(\.isEmpty) { continue }
        let numbers = fields.compactMap { Double($0) }
        if lineNumber == 1, numbers.count != fields.count { continue }  // a header
        guard numbers.count == 3, fields.count == 3, numbers[0] == numbers[0].rounded(), abs(numbers[0]) < 1e15 else {
            fail("stdin:\(lineNumber): expected x,t_x,T with a whole x, got '\(fields.joined(separator: ","))'")
        }
        do {
            histories.append(try CustomerHistory(frequency: Int(numbers[0]), recency: numbers[1], age: numbers[2]))
        } catch {
            fail("stdin:\(lineNumber): \(error)")
        }
    }
    return histories
}

func json(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
let clock = ContinuousClock()
let readStart = clock.now
let histories = readHistories()
let readTime = clock.now - readStart

var output = "{\"customers\":\(histories.count)"
let model: BGNBDModel
if let given = options.parameters {
    model = BGNBDModel(parameters: given)
    output += ",\"fit\":null"
} else {
    do {
        let fitStart = clock.now
        let tally = HistoryTally(histories)
        let tallyTime = clock.now - fitStart
        let fit = try BGNBDFitter().fit(tally)
        let fitTime = clock.now - fitStart
        model = fit.model
        output += ",\"fit\":{\"logLikelihood\":\(json(fit.logLikelihood)),\"iterations\":\(fit.iterations)"
        output += ",\"evaluations\":\(fit.evaluations),\"gradientNorm\":\(json(fit.gradientNorm))"
        output += ",\"distinctHistories\":\(fit.distinctHistoryCount),\"seconds\":\(json(seconds(fitTime)))"
        output += ",\"tallySeconds\":\(json(seconds(tallyTime)))}"
    } catch {
        fail("cannot fit: \(error)")
    }
}
let p = model.parameters
output += ",\"readSeconds\":\(json(seconds(readTime)))"
output += ",\"parameters\":{\"r\":\(json(p.r)),\"alpha\":\(json(p.alpha)),\"a\":\(json(p.a)),\"b\":\(json(p.b))}"
if !options.summary {
    let predictStart = clock.now
    var alive: [String] = [], aliveCountingFirst: [String] = [], expected: [String] = []
    alive.reserveCapacity(histories.count)
    aliveCountingFirst.reserveCapacity(histories.count)
    for history in histories {
        alive.append(json(model.probabilityAlive(history)))
        aliveCountingFirst.append(json(model.probabilityAliveCountingFirstPurchase(history)))
        if let horizon = options.horizon { expected.append(json(model.expectedPurchases(in: horizon, given: history))) }
    }
    output += ",\"predictSeconds\":\(json(seconds(clock.now - predictStart)))"
    output += ",\"pAlive\":[\(alive.joined(separator: ","))]"
    output += ",\"pAliveCountingFirstPurchase\":[\(aliveCountingFirst.joined(separator: ","))]"
    if let horizon = options.horizon {
        output += ",\"horizon\":\(json(horizon)),\"expectedPurchases\":[\(expected.joined(separator: ","))]"
    }
}
output += "}"
print(output)
