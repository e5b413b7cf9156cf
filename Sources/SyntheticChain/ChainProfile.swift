import CustomerEvents
import LedgerJSON

/// Who a synthetic customer is: derived from the seed and their number alone.
struct ChainProfile {
    let homeStore: Int
    let marketingChannel: String?
    let birthdayDayOfYear: Int
    let registration: [(String, JSONValue)]

    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"]
    static let givenNames = ["芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]
    static let preferences = ["sugar-free latte", "window seat", "size M", "size L", "no plastic bags", "prefers WeChat", "weekend visits", "gift wrapping"]
    static let ageBands = ["18-24", "25-29", "30-39", "30-39", "40-49", "50-59", "60+"]

    init(seed: UInt64, customer c: Int32, marketingConsent: Double) {
        var rng = ChainRandom(seed: seed, stream: 2, item: UInt64(c))
        homeStore = rng.below(1_000_000)
        let marketing = rng.unit() < marketingConsent
        marketingChannel = marketing ? ["sms", "wechat", "wechat", "email"][rng.below(4)] : nil
        let name = ChainProfile.surnames[rng.below(20)] + ChainProfile.givenNames[rng.below(20)]
        let phone = "1" + ["38", "39", "50", "58", "86", "88"][rng.below(6)] + String(10_000_000 + rng.below(90_000_000))
        let year = 1950 + rng.below(55)
        let doy = rng.below(365)
        birthdayDayOfYear = doy
        let (m, d) = ChainProfile.monthDay(doy)
        let birthday = "\(year)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
        var payload: [(String, JSONValue)] = [
            ("name", .string(name)), ("phone", .string(phone)),
            ("ageBand", .string(ChainProfile.ageBands[rng.below(ChainProfile.ageBands.count)])),
            ("gender", .string(["female", "female", "male", "male", "undisclosed"][rng.below(5)])),
            ("birthday", .string(birthday)),
        ]
        if rng.unit() < 0.4 { payload.append(("preferences", .array([.string(ChainProfile.preferences[rng.below(8)])]))) }
        registration = payload
    }

    /// Month and day of a day of a non-leap year (0-based).
    static func monthDay(_ doy: Int) -> (Int, Int) {
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var d = doy
        for (i, n) in lengths.enumerated() { if d < n { return (i + 1, d + 1) }; d -= n }
        return (12, 31)
    }

    static func customerId(_ c: Int32) -> String {
        let s = String(c + 1)
        return "C" + String(repeating: "0", count: max(0, 7 - s.count)) + s
    }

    static func storeId(_ s: Int) -> String { s + 1 < 10 ? "ST-0\(s + 1)" : "ST-\(s + 1)" }

    static func staffId(_ store: String, _ n: Int) -> String { store + "-s\(abs(n) % 6 + 1)" }
}

/// What a synthetic receipt holds: derived from the seed and the receipt number alone, so a
/// return can find the lines it refers to.
struct ChainBasket {
    struct Line {
        let sku: String, name: String, category: String, quantity: Int, unitPrice: Int64, discount: Int64
        let currency: String
        var amount: Int64 { Int64(quantity) * unitPrice - discount }
        var json: JSONValue {
            var m: [(String, JSONValue)] = [("sku", .string(sku)), ("name", .string(name)), ("category", .string(category)),
                                            ("quantity", .number(String(quantity))),
                                            ("unitPrice", .object([("minor", .number(String(unitPrice))), ("currency", .string(currency))]))]
            if discount > 0 { m.append(("discount", .object([("minor", .number(String(discount))), ("currency", .string(currency))]))) }
            return .object(m)
        }
    }

    static let catalog: [(category: String, items: [(String, Int64)])] = [
        ("apparel", [("Linen shirt", 29_900), ("Wool coat", 129_900), ("Cotton tee", 9_900), ("Denim jeans", 39_900)]),
        ("accessories", [("Silk scarf", 15_900), ("Leather belt", 19_900), ("Canvas tote", 8_900)]),
        ("shoes", [("Running shoes", 59_900), ("Loafers", 45_900)]),
        ("beauty", [("Face cream", 26_800), ("Lipstick", 18_900)]),
        ("home", [("Scented candle", 12_900), ("Throw blanket", 32_900)]),
        ("kids", [("Kids hoodie", 14_900), ("Plush toy", 6_900)]),
    ]
    static let returnReasons = ["size too small", "size too large", "defective", "changed mind", "colour not as pictured"]
    static let complaintTexts = ["product-quality": "Seam opened after one wash", "service-attitude": "Staff ignored me at the fitting rooms",
                                 "logistics": "Delivery came three days late", "price": "Charged twice at the till",
                                 "environment": "Fitting room was dirty", "other": "Could not find the parking validation"]

    let lines: [Line]
    let total: Money
    let payment: String
    let awayStore: Int?

    init(seed: UInt64, receipt: UInt32, currency: String) {
        var rng = ChainRandom(seed: seed, stream: 3, item: UInt64(receipt))
        let count = 1 + min(5, rng.poisson(0.8))
        var lines: [Line] = []
        for i in 0..<count {
            let (category, items) = ChainBasket.catalog[rng.below(ChainBasket.catalog.count)]
            let index = rng.below(items.count)
            let (name, price) = items[index]
            let quantity = rng.unit() < 0.85 ? 1 : 2
            let discount = rng.unit() < 0.2 ? price / 10 : 0
            lines.append(Line(sku: "\(category.prefix(3).uppercased())-\(100 + index)-\(i % 3 == 0 ? "M" : "L")", name: name, category: category,
                              quantity: quantity, unitPrice: price, discount: discount, currency: currency))
        }
        self.lines = lines
        total = Money(minor: lines.reduce(0) { $0 + $1.amount }, currency: currency)
        payment = ["wechat-pay", "alipay", "card", "cash"][rng.below(4)]
        awayStore = rng.unit() < 0.1 ? rng.below(1_000_000) : nil
    }

    static func receiptNumber(_ n: UInt32) -> String { "R\(10_000_000 + n)" }
}
