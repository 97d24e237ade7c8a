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
  // weights and moments by name (the maps above hold the same arrays)
  private final Map<String, NDArray> tracked = new LinkedHashMap<>();
  // every tensor's shape, the step count's too, in the order they came: the order they leave in
  private final Map<String, int[]> shapes = new LinkedHashMap<>();
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
    long steps = 0;
    for (DenseTensor t : encoder) {
      if (t.name().equals(NodePieceEncoder.ADAM_STEPS)) {
        steps = Math.round(t.values()[0]);
      } else {
        tracked.put(t.name(), manager.create(t.values(), new Shape(t.longShape())));
      }
      shapes.put(t.name(), t.shape());
    }
    stepsBefore = steps;
    for (DenseTensor t : NodePieceEncoder.weightsOf(encoder)) {
      weights.put(t.name(), tracked.get(t.name()));
      firstMoment.put(t.name(), tracked.get(NodePieceEncoder.firstMoment(t.name())));
      secondMoment.put(t.name(), tracked.get(NodePieceEncoder.secondMoment(t.name())));
    }
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
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      String name = e.getKey();
      float[] values =
          name.equals(NodePieceEncoder.ADAM_STEPS)
              ? new float[] {stepsBefore + stepsTaken}
              : tracked.get(name).toFloatArray();
      out.add(new DenseTensor(name, e.getValue(), values));
    }
    return out;
  }
}
