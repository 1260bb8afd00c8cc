import Foundation
import NNCGraph

/// The lowered graph as a TensorFlow `GraphDef` for TensorBoard's graph view: one node per IR node,
/// named after its layer (a `/` in a block instance's layer names becomes a collapsible scope), with
/// the IR mnemonic as its op, its output shape (`-1` for the batch) on the outgoing edges, and the
/// layer's attributes, parameters and spec location as node attributes.
enum ModelGraphDef {
  static func make(_ graph: Graph) -> Tensorboard_GraphDef {
    let nodeNames = Set(graph.nodes.map(\.name))
    var inputName = "input"
    while nodeNames.contains(inputName) { inputName += "_" }
    let producers = graph.producers
    func name(of value: ValueID) -> String {
      producers[value.index].map { graph.nodes[$0].name } ?? inputName
    }

    var input = Tensorboard_NodeDef()
    input.name = inputName
    input.op = "input"
    input.attr["T"] = floatType
    input.attr["_output_shapes"] = shapes([graph.inputShape])
    var definition = Tensorboard_GraphDef()
    definition.node = [input]
    for node in graph.nodes {
      var definitionNode = Tensorboard_NodeDef()
      definitionNode.name = node.name
      definitionNode.op = node.op.mnemonic
      definitionNode.input = node.inputs.map(name(of:))
      definitionNode.attr["T"] = floatType
      definitionNode.attr["_output_shapes"] = shapes([graph.shape(of: node.output)])
      definitionNode.attr["layer"] = text(node.layerName)
      let attributes = node.op.attributeText
      if !attributes.isEmpty { definitionNode.attr["attributes"] = text(attributes) }
      if !node.parameters.isEmpty {
        var list = Tensorboard_AttrValue()
        list.list.s = node.parameters.map {
          Data("\($0.name) \($0.shape)\($0.trainable ? "" : " frozen")".utf8)
        }
        definitionNode.attr["parameters"] = list
      }
      if node.location.isKnown { definitionNode.attr["location"] = text(node.location.description) }
      definition.node.append(definitionNode)
    }
    return definition
  }

  static var floatType: Tensorboard_AttrValue {
    var value = Tensorboard_AttrValue()
    value.type = .dtFloat
    return value
  }

  static func text(_ string: String) -> Tensorboard_AttrValue {
    var value = Tensorboard_AttrValue()
    value.s = Data(string.utf8)
    return value
  }

  static func shapes(_ shapes: [Shape]) -> Tensorboard_AttrValue {
    var value = Tensorboard_AttrValue()
    value.list.shape = shapes.map { shape in
      var proto = Tensorboard_TensorShapeProto()
      proto.dim = shape.dimensions.map { dimension in
        var dim = Tensorboard_TensorShapeProto.Dim()
        if case .fixed(let size) = dimension { dim.size = Int64(size) } else { dim.size = -1 }
        return dim
      }
      return proto
    }
    return value
  }
}
