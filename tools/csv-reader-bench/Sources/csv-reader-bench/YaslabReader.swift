// yaslab/CSV.swift's reader under a name of its own: its module `CSV` also declares a type `CSV`,
// so `CSV.CSVReader` cannot name it where POSImport's `CSVReader` is visible too.
import CSV

typealias YaslabCSVReader = CSVReader
