import ArgumentParser
import Foundation
import NNCData
import NNCGraph
import NNCRuntime
import NNCSpec
import NNCTensorBoard
import NNCTrain

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train the model of a spec on its data.",
    discussion: """
      Writes checkpoint-last.safetensors (every epoch), checkpoint-best.safetensors (by train.monitor), \
      history.jsonl (one JSON object per epoch, with the spec's metrics on the training and validation \
      predictions), loss.svg and metrics.svg (curves per epoch) to the run directory, then evaluates \
      the test split. With --tensorboard DIR (or train.tensorboard), also TensorBoard event files in \
      DIR/train and DIR/validation.
      """
  )

  @OptionGroup var options: SpecOptions
  @OptionGroup var optimization: OptimizationFlags
  @OptionGroup var memoryLimit: MemoryLimitOptions

  @Option(help: "Number of epochs (overrides train.epochs).")
  var epochs: Int?

  @Option(help: "Batch size (overrides train.batch_size).")
  var batchSize: Int?

  @Option(help: "Random seed (overrides train.seed).")
  var seed: Int?

  @Option(help: "Where checkpoints and history go (default: runs/<spec name>/).")
  var runDir: String?

  @Flag(help: "Continue from checkpoint-last.safetensors in the run directory.")
  var resume = false

  @Flag(help: "With --resume, continue even though the run's settings (seed, optimizer, data, ...) changed.")
  var force = false

  @Option(help: "Threads for matrix products (default: all cores).")
  var threads: Int?

  @Option(help: "Output format: text (progress and epoch lines) or json (one JSON object per line).")
  var format: OutputFormat = .text

  @Option(
    help: ArgumentHelp(
      "Write TensorBoard event files to DIR/train and DIR/validation (overrides train.tensorboard).",
      valueName: "DIR"))
  var tensorboard: String?

  @Flag(help: "With TensorBoard logs, also a histogram of every parameter and its gradient per epoch.")
  var tensorboardHistograms = false

  func run() throws {
    // Under mpirun, MPI starts before anything else, and whatever ends one rank ends them all.
    guard let world = try MPICommunicator.fromEnvironment() else {
      return try train(communicator: SingleProcess())
    }
    if !world.isRoot {
      // Rank 0 prints the run's progress and results; the other ranks' errors still reach stderr.
      Console.silenceStandardOutput()
    }
    do {
      try train(communicator: world)
    } catch let error as ExitCode
      where error.rawValue == SignalHandling.exitCode(for: SIGINT).rawValue
      || error.rawValue == SignalHandling.exitCode(for: SIGTERM).rawValue
    {
      // Every rank stopped at the same step (see `Trainer.stopIfInterrupted`).
      world.finish()
      throw error
    } catch {
      // `fail` printed the message already.
      world.abort(
        error is ExitCode ? "stopping every rank after the error above" : "\(error); stopping every rank")
    }
    world.finish()
  }

  func train(communicator: any Communicator) throws {
    JSONErrorOutput.enable(format)
    var options = options
    if let epochs { options.overrides.append("train.epochs=\(epochs)") }
    if let batchSize { options.overrides.append("train.batch_size=\(batchSize)") }
    if let seed { options.overrides.append("train.seed=\(seed)") }
    let prepared = try PreparedRun.prepare(options, command: "train")
    let configuration = prepared.configuration
    if let tensorboard, tensorboard.allSatisfy(\.isWhitespace) {
      throw fail("--tensorboard needs a directory for the event files")
    }
    let logDirectory = tensorboard ?? configuration.tensorBoard
    if tensorboardHistograms, logDirectory == nil {
      throw fail("--tensorboard-histograms needs --tensorboard DIR or train.tensorboard in the spec")
    }
    try memoryLimit.enforce(
      memoryLimit.estimate(
        graph: prepared.graph, configuration: configuration, mode: .training, data: prepared.data,
        optimization: optimization.options),
      command: "train")
    Executor.setBLASThreads(threads ?? configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount)
    let directory = runDir ?? "runs/\(specName(options.spec))"
    if resume, communicator.isRoot,
      !FileManager.default.fileExists(atPath: directory + "/checkpoint-last.safetensors")
    {
      throw fail("\(directory)/checkpoint-last.safetensors does not exist: nothing to resume")
    }
    let reporter = ProgressReporter(format: format)
    SignalHandling.installForTraining()
    do {
      let trainer = try Trainer(
        graph: prepared.graph, configuration: configuration, runDirectory: directory,
        specHash: ModelFingerprint.of(prepared.graph), optimization: optimization.options,
        communicator: communicator)
      trainer.acceptsChangedSettings = force
      if let logDirectory, communicator.isRoot {
        trainer.logSinks.append(TensorBoardLog(directory: logDirectory, histograms: tensorboardHistograms))
      }
      reporter.header(prepared: prepared, directory: directory)
      // The table names the file, every tensor's fate and the totals.
      if let transfer = trainer.transferReport, !resume { reporter.table(transfer.table) }
      let outcome = try trainer.run(data: prepared.data, resume: resume, observer: reporter)
      if communicator.isRoot { try Plots.writeTrainingCurves(outcome.history, to: directory) }
      if let test = prepared.data.test {
        let loss = RunComponents.loss(configuration.loss, outputIsLogits: trainer.executor.outputIsLogits)
        let rule = PredictionRule.of(configuration, graph: prepared.graph, loss: loss)
        let result = try Evaluator(
          executor: trainer.executor, loss: loss, rule: rule,
          targetNormalization: prepared.data.targetNormalization, communicator: communicator
        ).evaluate(test, keepPredictions: true)
        if rule.decidesClasses {
          let metrics = MetricReport(configuration.metrics, result: result)
          reporter.finished(
            outcome, test: result, values: metrics.values, confusionMatrix: metrics.confusionMatrix)
        } else {
          let metrics = TargetMetricReport(configuration.metrics, result: result)
          reporter.finished(outcome, test: result, values: metrics.values, confusionMatrix: nil)
        }
      } else {
        reporter.finished(outcome, test: nil, values: [], confusionMatrix: nil)
      }
    } catch let error as TrainingInterrupted {
      reporter.endLine()
      Console.standardError("\(error.message)\n")
      throw SignalHandling.exitCode(for: error.signal)
    } catch let error as TrainError {
      reporter.endLine()
      throw fail(error.message)
    } catch let error as SafeTensorsError {
      throw fail("\(error)")
    } catch let error as DataError {
      throw fail("\(error)")
    } catch let error as ExitCode {
      throw error
    } catch {
      // File-system errors (a full disk, a file grown past `ulimit -f`) name the run directory.
      reporter.endLine()
      throw fail("in the run directory \(directory): \(error.localizedDescription)")
    }
  }
}
