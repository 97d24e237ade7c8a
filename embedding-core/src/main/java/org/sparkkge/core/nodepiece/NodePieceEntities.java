package org.sparkkge.core.nodepiece;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.train.EntitySource;

/**
 * Trainer hook: a step's entity rows come from the NodePiece encoder applied to the step's unique
 * entities; the encoder weights are dense and trained with Adam. The Adam moments and step count
 * come in with the weights and go out with them ({@link NodePieceEncoder#withOptimizerState}), so a
 * round continues the previous one's optimizer instead of restarting it: a restarted Adam's first
 * bias-corrected steps move every weight by about the learning rate whatever its gradient. (Public
 * only because the trainer lives in another package; not an API for other modules.)
 */
public final class NodePieceEntities implements EntitySource {
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPS = 1e-8f;
  private final NodePieceTokens tokens;
  private final float lr;
  private final Map<String, NDArray> weights = new LinkedHashMap<>();
  private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
  private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
  private final Map<String, int[]> shapes = new LinkedHashMap<>();
  // the tensor names in the order they came, optimizer state included: the order they leave in
  private final List<String> order = new ArrayList<>();
  private final long stepsBefore;
  private long stepsTaken;
  private Map<String, NDArray> leaves;
  private NDManager stepManager;
  private int[] stepEntities;

  public NodePieceEntities(
      NDManager manager, ModelParameters start, NodePieceTokens tokens, float lr) {
    List<DenseTensor> encoder = NodePieceEncoder.withOptimizerState(start.encoder());
    NodePieceEncoder.byName(encoder);
    this.tokens = tokens;
    this.lr = lr;
    Map<String, DenseTensor> byName = new LinkedHashMap<>();
    for (DenseTensor t : encoder) {
      byName.put(t.name(), t);
      order.add(t.name());
    }
    for (DenseTensor t : NodePieceEncoder.weightsOf(encoder)) {
      Shape shape = new Shape(t.longShape());
      weights.put(t.name(), manager.create(t.values(), shape));
      firstMoment.put(
          t.name(),
          manager.create(byName.get(NodePieceEncoder.firstMoment(t.name())).values(), shape));
      secondMoment.put(
          t.name(),
          manager.create(byName.get(NodePieceEncoder.secondMoment(t.name())).values(), shape));
      shapes.put(t.name(), t.shape());
    }
    stepsBefore = Math.round(byName.get(NodePieceEncoder.ADAM_STEPS).values()[0]);
  }

  @Override
  public void prepareLeaves(NDManager manager, int[] uniqueEntities, NDArray uniqueIds) {
    leaves = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : weights.entrySet()) {
      NDArray leaf = e.getValue().duplicate();
      leaf.setRequiresGradient(true);
      leaves.put(e.getKey(), leaf);
    }
    stepManager = manager;
    stepEntities = uniqueEntities;
  }

  @Override
  public NDArray rows() {
    return NodePieceEncoder.forward(stepManager, leaves, tokens, stepEntities);
  }

  @Override
  public void update(NDArray uniqueIds, long step) {
    stepsTaken = step;
    long t = stepsBefore + step;
    float correction1 = 1f - (float) Math.pow(BETA1, t);
    float correction2 = 1f - (float) Math.pow(BETA2, t);
    for (Map.Entry<String, NDArray> e : leaves.entrySet()) {
      NDArray grad = e.getValue().getGradient();
      NDArray m = firstMoment.get(e.getKey());
      NDArray v = secondMoment.get(e.getKey());
      m.muli(BETA1).addi(grad.mul(1f - BETA1));
      v.muli(BETA2).addi(grad.square().mul(1f - BETA2));
      NDArray delta = m.div(correction1).div(v.div(correction2).sqrt().add(EPS)).mul(lr);
      weights.get(e.getKey()).subi(delta);
    }
    leaves = null;
  }

  @Override
  public float[] entityValues() {
    return new float[0];
  }

  @Override
  public float[] entityAccumulators() {
    return new float[0];
  }

  @Override
  public List<DenseTensor> encoderWeights() {
    List<DenseTensor> out = new ArrayList<>();
    for (String name : order) {
      out.add(tensor(name));
    }
    return out;
  }

  private DenseTensor tensor(String name) {
    if (name.equals(NodePieceEncoder.ADAM_STEPS)) {
      return new DenseTensor(name, new int[] {1}, new float[] {stepsBefore + stepsTaken});
    }
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      String weight = e.getKey();
      NDArray values =
          name.equals(weight)
              ? weights.get(weight)
              : name.equals(NodePieceEncoder.firstMoment(weight))
                  ? firstMoment.get(weight)
                  : name.equals(NodePieceEncoder.secondMoment(weight))
                      ? secondMoment.get(weight)
                      : null;
      if (values != null) {
        return new DenseTensor(name, e.getValue(), values.toFloatArray());
      }
    }
    throw new IllegalStateException("NodePiece encoder tensor " + name + " is not tracked");
  }
}
