/// Help text as written in the source (hard-wrapped at ~100 columns) joined back into paragraphs,
/// so that the argument parser wraps them at the terminal's width without ragged short lines.
///
/// A blank line separates paragraphs; a line that is indented or starts a list item (`- `, `* `,
/// `1. `) keeps its own line, so examples and lists print as written.
func reflow(_ text: String) -> String {
    var out: [String] = []
    var joinable = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.drop { $0 == " " }
        let indented = trimmed.count != line.count
        let digits = trimmed.prefix { $0.isNumber }
        let item = trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") || ((1...2).contains(digits.count) && trimmed.dropFirst(digits.count).hasPrefix(". "))
        if trimmed.isEmpty {
            out.append("")
            joinable = false
        } else if joinable && !indented && !item {
            out[out.count - 1] += " " + trimmed
        } else {
            out.append(String(line))
            joinable = !indented
        }
    }
    return out.joined(separator: "\n")
}
