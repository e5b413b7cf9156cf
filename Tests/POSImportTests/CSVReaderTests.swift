import Testing
@testable import POSImport
