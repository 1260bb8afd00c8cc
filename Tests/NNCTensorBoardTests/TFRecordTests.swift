import Foundation
import SwiftProtobuf
import Testing

@testable import NNCTensorBoard

/// TFRecord framing against `Tests/Fixtures/tensorboard/records.tfrecord`, written by TensorBoard's own
/// `RecordWriter` (scripts/make_tensorboard_fixtures.py lists the payloads, rebuilt here).
@Suite struct TFRecordTests {
  static var fixture: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/tensorboard/records.tfrecord")
  }

  static func payloads() throws -> [Data] {
    var version = Tensorboard_Event()
    version.wallTime = 1.5
    version.fileVersion = "brain.Event:2"
    var scalar = Tensorboard_Event()
    scalar.wallTime = 2.25
    scalar.step = 3
    var value = Tensorboard_Summary.Value()
    value.tag = "epoch_loss"
    value.simpleValue = 0.125
    scalar.summary.value = [value]
    return [
      Data(), Data("nnc".utf8), Data((0..<512).map { UInt8($0 % 256) }), try version.serializedBytes(),
      try scalar.serializedBytes(),
    ]
  }

  @Test func framingMatchesTensorBoardsWriter() throws {
    let expected = try Data(contentsOf: Self.fixture)
    let framed = try Self.payloads().map(TFRecord.frame).reduce(Data(), +)
    #expect(framed == expected)
  }

  @Test func readsTensorBoardsRecords() throws {
    let records = try TFRecord.records(in: Data(contentsOf: Self.fixture))
    #expect(records == (try Self.payloads()))
    let event = try Tensorboard_Event(serializedBytes: records[4])
    #expect(event.step == 3)
    #expect(event.summary.value.first?.tag == "epoch_loss")
    #expect(event.summary.value.first?.simpleValue == 0.125)
  }

  @Test func corruptionIsLocated() throws {
    var bytes = try Data(contentsOf: Self.fixture)
    let second = 16  // the empty first record is 8 + 4 + 0 + 4 bytes
    bytes[second + 12] ^= 0x01  // the first byte of "nnc"
    #expect(throws: TFRecordError(offset: second, reason: "the data's checksum does not match")) {
      try TFRecord.records(in: bytes)
    }
    bytes[second + 12] ^= 0x01
    bytes[second] ^= 0x80  // the length
    #expect(throws: TFRecordError(offset: second, reason: "the length's checksum does not match")) {
      try TFRecord.records(in: bytes)
    }
    bytes[second] ^= 0x80
    #expect(throws: TFRecordError(offset: bytes.count, reason: "a record header is cut short")) {
      try TFRecord.records(in: bytes + Data(repeating: 0, count: 5))
    }
    #expect(throws: TFRecordError(offset: second, reason: "the record of 3 bytes is cut short")) {
      try TFRecord.records(in: bytes.prefix(second + 14))
    }
  }
}
