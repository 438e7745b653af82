/// Trimming for the services that read a line of text (qotd's quote files, tcpmux's name, ident's ports), which
/// Foundation would give but this module does not import.
extension Substring {
    /// Without the characters at its end for which `drop` holds.
    func trimmingSuffix(while drop: (Character) -> Bool) -> Substring {
        var end = self.endIndex
        while end > self.startIndex, drop(self[self.index(before: end)]) {
            end = self.index(before: end)
        }
        return self[self.startIndex..<end]
    }

    /// Without spaces and tabs at either end.
    var trimmingBlanks: Substring {
        self.drop { $0 == " " || $0 == "\t" }.trimmingSuffix { $0 == " " || $0 == "\t" }
    }
}
