import Foundation
import Testing

/// Training on a streamed image folder: the loader's worker count, prefetch depth and cache (none, memory,
/// disk) change no bit of the run, and a resumed run with other loader settings continues it exactly.
@Suite struct StreamingTrainingTests {
  @Test func checkpointsAreBitIdenticalForOneTwoAndFourWorkers() throws {
    let root = try ImageFolderTrainingTests.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    var checkpoints: [Data] = []
    var histories: [String] = []
    let settings: [[String]] = [
      ["--set", "data.workers=1", "--set", "data.prefetch=1"],
      ["--set", "data.workers=2"],
      ["--set", "data.workers=4", "--set", "data.prefetch=3"],
      ["--set", "data.workers=2", "--set", "data.cache=memory"],
      ["--set", "data.workers=2", "--set", "data.cache=disk"],
    ]
    for (number, options) in settings.enumerated() {
      let result = try NNCProcess.run(
        ["train", "folder.yaml", "--run-dir", "run\(number)", "--epochs", "2"] + options,
        currentDirectory: root)
      #expect(result.status == 0, "\(options): \(result.stderr)")
      checkpoints.append(
        try Data(contentsOf: root.appendingPathComponent("run\(number)/checkpoint-last.safetensors")))
      histories.append(
        try String(contentsOf: root.appendingPathComponent("run\(number)/history.jsonl"), encoding: .utf8))
    }
    for number in 1..<settings.count {
      #expect(checkpoints[number] == checkpoints[0], "\(settings[number])")
      #expect(histories[number] == histories[0], "\(settings[number])")
    }
    // Resuming with other loader settings continues the same run.
    let resumed = try NNCProcess.run(
      ["train", "folder.yaml", "--run-dir", "run1", "--epochs", "3", "--resume", "--set", "data.workers=3"],
      currentDirectory: root)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let whole = try NNCProcess.run(
      ["train", "folder.yaml", "--run-dir", "whole", "--epochs", "3"], currentDirectory: root)
    #expect(whole.status == 0, "\(whole.stderr)")
    #expect(
      try Data(contentsOf: root.appendingPathComponent("run1/checkpoint-last.safetensors"))
        == Data(contentsOf: root.appendingPathComponent("whole/checkpoint-last.safetensors")))
    // The disk cache (filled during run4's first epoch) is reused by its resumed third epoch.
    let diskRun = settings.count - 1
    let cacheFile = root.appendingPathComponent("run\(diskRun)/image-cache-train.bin").path
    #expect(FileManager.default.fileExists(atPath: cacheFile))
    let cacheTime = try FileManager.default.attributesOfItem(atPath: cacheFile)[.modificationDate] as? Date
    let resumedFromCache = try NNCProcess.run(
      ["train", "folder.yaml", "--run-dir", "run\(diskRun)", "--epochs", "3", "--resume"],
      currentDirectory: root)
    #expect(resumedFromCache.status == 0, "\(resumedFromCache.stderr)")
    #expect(
      try FileManager.default.attributesOfItem(atPath: cacheFile)[.modificationDate] as? Date == cacheTime)
    #expect(
      try Data(contentsOf: root.appendingPathComponent("run\(diskRun)/checkpoint-last.safetensors"))
        == Data(contentsOf: root.appendingPathComponent("whole/checkpoint-last.safetensors")))
  }
}
