import Testing
import TestSupport
import Foundation
import Ledger
@testable import POSImport

/// The mapping file's JSON Schema and example stay in step with the code that reads them.
@Suite("Mapping schema and example")
struct MappingSchemaTests {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.repository.appendingPathComponent("schemas/pos-mapping.schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func propertyNames(_ object: [String: Any]?) -> Set<String> {
        Set((object?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
    }

    @Test("the schema is draft 2020-12 and names exactly the keys the reader decodes")
    func keysMatch() throws {
        let s = try schema()
        #expect(s["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let properties = try #require(s["properties"] as? [String: Any])
        #expect(propertyNames(s) == Set(POSMapping.CodingKeys.allCases.map(\.rawValue)))
        #expect(propertyNames(properties["columns"] as? [String: Any]) == Set(POSMapping.Columns.CodingKeys.allCases.map(\.rawValue)))
        #expect(propertyNames(properties["money"] as? [String: Any]) == Set(POSMapping.Money.CodingKeys.allCases.map(\.rawValue)))
        #expect(propertyNames(properties["returns"] as? [String: Any]) == Set(POSMapping.Returns.CodingKeys.allCases.map(\.rawValue)))
    }

    @Test("the example mapping loads and reads a GB18030 export with Chinese headers")
    func exampleReads() throws {
        let mapping = try POSMapping.load(path: Self.repository.appendingPathComponent("schemas/examples/pos-mapping.example.toml").path)
        #expect(mapping.name == "shanghai-pos" && mapping.encoding == .gb18030 && mapping.columns.receiptId == "单号")
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = """
            单号,时间,会员卡号,手机号,商品名称,数量,金额,门店,收银员,类型
            XS0001,2025-12-31 14:05:00,VIP8801,13800138000,龙井茶 250g,2,¥256.00,静安店,王芳,销售
            XS0001,2025-12-31 14:05:00,VIP8801,13800138000,紫砂壶,1,"¥1,280.00",静安店,王芳,销售
            XS0002,2025-12-31 15:10:30,,,矿泉水,3,6.00,静安店,王芳,销售
            TH0001,2026-01-02 10:00:00,VIP8801,13800138000,紫砂壶,-1,"(1,280.00)",静安店,李强,退货
            """
        let path = Fixtures.write(TestText.encode(text, to: "GB18030"), to: "export.csv", in: folder)
        let r = try ReadResult(path: path, options: POSImportOptions(mapping: mapping))
        #expect(r.rejected == [])
        #expect(r.receipts.map(\.receiptId) == ["XS0001", "XS0002", "TH0001"])
        #expect(r.receipts.map(\.total) == [153_600, 600, -128_000])
        #expect(r.receipts.map(\.kind) == [.sale, .sale, .refund])
        #expect(r.receipts[0].customer == ImportedCustomer(externalId: "VIP8801", phone: "13800138000"))
        #expect(r.receipts[1].customer == nil)
        #expect(r.receipts[0].lines.map(\.name) == ["龙井茶 250g", "紫砂壶"])
        #expect(r.receipts[0].lines.map(\.unitPrice) == [12_800, 128_000])
        #expect(r.receipts[0].occurredAt == Timestamp(iso8601: "2025-12-31T14:05:00+08:00"))
        #expect(r.receipts[2].cashier == "李强" && r.receipts[2].store == "静安店")
    }
}
