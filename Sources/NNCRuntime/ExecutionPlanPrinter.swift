import NNCGraph

/// The textual form of an execution plan (`nnc check --emit plan`): the memory plan as
/// `MemoryPlanPrinter` prints it, each convolution's output followed by the algorithm the plan
/// chose for it (and whether its kernel also computes the max pooling or the residual addition after it,
/// or the depthwise convolution before it), and each batchnorm's output followed by the activation
/// it applies while normalizing, if any.
public enum ExecutionPlanPrinter {
  public static func print(_ plan: ExecutionPlan) -> String {
    var algorithms: [ValueID: String] = [:]
    for step in plan.steps {
      if let convolution = step.convolution {
        algorithms[plan.graph.nodes[step.node].output] =
          convolution.algorithmDescription + (step.pooled == nil ? "" : ", max pooling fused")
          + (step.residual == nil ? "" : ", residual add fused")
          + (step.separableDepthwise == nil ? "" : ", depthwise fused")
          + (step.isComputedByConsumer ? ", computed by the pointwise step" : "")
      }
      if let activation = step.activationAfterNormalizing {
        algorithms[plan.graph.nodes[step.node].output] = "\(activation) applied while normalizing"
      }
    }
    return MemoryPlanPrinter.print(plan.memoryPlan, graph: plan.graph, annotations: algorithms)
  }
}
