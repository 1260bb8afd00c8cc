import Testing

@testable import NNCTensorBoard

/// CRC-32C against the test vectors of RFC 3720 (iSCSI), appendix B.4, and the check value of the
/// CRC catalogue ("123456789").
@Suite struct CRC32CTests {
  @Test func rfc3720Vectors() {
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
  }

  @Test func catalogueCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8]()) == 0)
  }

  /// The mask is a 15-bit rotation plus a constant, so it is invertible: distinct checksums stay
  /// distinct.
  @Test func maskRotatesAndOffsets() {
    let crc: UInt32 = 0x8A91_36AA
    let masked = CRC32C.masked(crc)
    let rotated = masked &- 0xA282_EAD8
    #expect(((rotated >> 17) | (rotated << 15)) == crc)
    #expect(CRC32C.maskedChecksum([UInt8](repeating: 0, count: 32)) == masked)
  }
}
