/// The Intel 82540EM QEMU presents as `-device e1000` (PCI 8086:100e): the registers the
/// generated NAPI-off driver touches, after the PCI/PCI-X Family of Gigabit Ethernet
/// Controllers Software Developer's Manual (8254x), section 13.
public enum E1000 {
    static func flag(_ name: String, _ bit: Int, _ summary: String) -> RegisterField {
        RegisterField(name: name, bit: bit, summary: summary)
    }

    static func field(_ name: String, _ bit: Int, _ width: Int, _ summary: String) -> RegisterField {
        RegisterField(name: name, bit: bit, width: width, summary: summary)
    }

    /// The interrupt causes ICR reports (IMS and IMC take the same bits), as the driver uses them.
    static let causes = [
        flag("txdw", 0, "transmit descriptor written back"),
        flag("lsc", 2, "link status change"),
        flag("rxo", 6, "receiver overrun"),
        flag("rxt0", 7, "receiver timer: frames received"),
    ]

    public static let device = NetworkDevice(
        name: "e1000",
        summary: "Intel 82540EM Gigabit Ethernet (QEMU -device e1000), without NAPI",
        pciVendor: 0x8086,
        pciDevice: 0x100e,
        bar: 0,
        barSize: 0x20000,
        registers: [
            MMIORegister(
                name: "ctrl", offset: 0x0000, summary: "device control",
                fields: [
                    flag("asde", 5, "auto speed detection"), flag("slu", 6, "set link up"),
                    flag("rst", 26, "device reset, self clearing"),
                ]),
            MMIORegister(name: "status", offset: 0x0008, summary: "device status", fields: [flag("lu", 1, "link up")]),
            MMIORegister(
                name: "eerd", offset: 0x0014, summary: "EEPROM read",
                fields: [
                    flag("start", 0, "start a read"), flag("done", 4, "the read is done"),
                    field("addr", 8, 8, "word address"), field("data", 16, 16, "word read"),
                ]),
            MMIORegister(
                name: "icr", offset: 0x00c0, summary: "interrupt cause; reading clears it and drops the line",
                onRead: .clearsState, fields: causes),
            MMIORegister(name: "itr", offset: 0x00c4, summary: "interrupt throttling, in 256 ns units"),
            MMIORegister(name: "ims", offset: 0x00d0, summary: "interrupt mask set (the bits of ICR)"),
            MMIORegister(name: "imc", offset: 0x00d8, summary: "interrupt mask clear"),
            MMIORegister(
                name: "rctl", offset: 0x0100, summary: "receive control",
                fields: [
                    flag("en", 1, "receiver enable"), flag("upe", 3, "unicast promiscuous"),
                    flag("mpe", 4, "multicast promiscuous"), flag("bam", 15, "accept broadcast"),
                    flag("secrc", 26, "strip the Ethernet CRC"),
                ]),
            MMIORegister(
                name: "tctl", offset: 0x0400, summary: "transmit control",
                fields: [
                    flag("en", 1, "transmitter enable"), flag("psp", 3, "pad short packets"),
                    field("ct", 4, 8, "collision threshold"), field("cold", 12, 10, "collision distance"),
                ]),
            MMIORegister(
                name: "tipg", offset: 0x0410, summary: "transmit inter-packet gap",
                fields: [field("ipgt", 0, 10, "IPG transmit time"), field("ipgr1", 10, 10, "IPG receive time 1"),
                         field("ipgr2", 20, 10, "IPG receive time 2")]),
            MMIORegister(name: "rdbal", offset: 0x2800, summary: "RX descriptor base, low 32 bits"),
            MMIORegister(name: "rdbah", offset: 0x2804, summary: "RX descriptor base, high 32 bits"),
            MMIORegister(name: "rdlen", offset: 0x2808, summary: "RX ring length in bytes"),
            MMIORegister(name: "rdh", offset: 0x2810, summary: "RX head (the device's)"),
            MMIORegister(name: "rdt", offset: 0x2818, summary: "RX tail (the driver's): hands buffers to the device"),
            MMIORegister(name: "tdbal", offset: 0x3800, summary: "TX descriptor base, low 32 bits"),
            MMIORegister(name: "tdbah", offset: 0x3804, summary: "TX descriptor base, high 32 bits"),
            MMIORegister(name: "tdlen", offset: 0x3808, summary: "TX ring length in bytes"),
            MMIORegister(name: "tdh", offset: 0x3810, summary: "TX head (the device's)"),
            MMIORegister(name: "tdt", offset: 0x3818, summary: "TX tail (the driver's): starts transmission"),
            MMIORegister(name: "mta", offset: 0x5200, summary: "multicast table array", elements: 128),
            MMIORegister(name: "ral0", offset: 0x5400, summary: "receive address 0, low"),
            MMIORegister(
                name: "rah0", offset: 0x5404, summary: "receive address 0, high",
                fields: [flag("av", 31, "address valid")]),
        ],
        rings: NetworkRings(txEntries: 256, rxEntries: 256, rxBufferBytes: 2048, rxKick: 32, interruptRate: 8000),
        qemuType: "e1000",
        stockDriver: "e1000"
    )
}
