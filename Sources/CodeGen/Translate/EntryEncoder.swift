import HypercallABI

/// The one encoder of a queue entry, a `static inline` in the shared header: the guest module
/// queues through it, and the host stub's tests build guest queues with it, so both sides
/// write the same bytes.
extension ABIHeaderTranslator {
    /// The entry fields the encoder takes as parameters, in layout order.
    static let encodedFields: Set<String> = ["op", "width", "port", "value", "mask"]

    var entryEncoder: CTopLevel {
        let fields = abi.entry.fields
        let parameters = fields.filter { Self.encodedFields.contains($0.name) }
        return Function(
            "void", naming.entryInit,
            [CDeclaration("struct \(naming.entryStruct) *", "e")] + parameters.map { CDeclaration($0.type.rawValue, $0.name) },
            doc: KernelDoc(
                "fill in one queue entry",
                parameters: [("e", "the entry, in the queue page")] + parameters.map { ($0.name, $0.summary) },
                body: [
                    "The result starts as \(naming.result(named: "pending")), so that an entry the host",
                    fields.count > parameters.count + 1 ? "does not reach keeps it; reserved fields are zeroed." : "does not reach keeps it.",
                ]),
            storage: "static inline"
        ) {
            for field in fields {
                if Self.encodedFields.contains(field.name) {
                    "e->\(field.name) = \(field.name)"
                } else if field.name == "result" {
                    "e->result = \(naming.result(named: "pending"))"
                } else {
                    "e->\(field.name) = 0"
                }
            }
        }
    }
}
