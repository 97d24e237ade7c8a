package org.sparkkge.core.nodepiece;

import static org.sparkkge.core.tensor.NativeScalars.of;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.core.train.ShardTrainer;

/**
 * NodePiece entity encoder: (anchor embedding + distance embedding) for each of the k anchors and a
 * relation-token embedding for each of the m relation tokens, flattened to (k+m)*dim and passed
 * through a 2-layer MLP (ReLU) into the entity row. Padding tokens (-1) use the last row of their
 * table. Weights are {@link DenseTensor}s named {@value #ANCHORS}, {@value #DISTANCES}, {@value
 * #RELATIONS}, {@value #W1}, {@value #B1}, {@value #W2}, {@value #B2}.
 */
public final class NodePieceEncoder {
  public static final String ANCHORS = "anchor_embedding";
  public static final String DISTANCES = "distance_embedding";
  public static final String RELATIONS = "relation_token_embedding";
  public static final String W1 = "mlp_w1";
  public static final String B1 = "mlp_b1";
  public static final String W2 = "mlp_w2";
  public static final String B2 = "mlp_b2";

  /**
   * Names of the encoder's Adam state, kept beside its weights so that it survives rounds (averaged
   * over shards as the weights are, and checkpointed): {@value #ADAM_PREFIX}m/NAME and {@value
   * #ADAM_PREFIX}v/NAME per weight, and {@value #ADAM_STEPS}, the steps taken so far (for the bias
   * correction).
   */
  public static final String ADAM_PREFIX = "adam/";

  public static final String ADAM_STEPS = ADAM_PREFIX + "steps";

  private static final List<String> WEIGHTS =
      List.of(ANCHORS, DISTANCES, RELATIONS, W1, B1, W2, B2);

  private NodePieceEncoder() {}

  /**
   * Fresh NodePiece parameters: encoder weights from the token vocabulary, relation table of the
   * scoring model, no entity table.
   */
  public static ModelParameters initialize(
      TrainConfig config, NodePieceTokens tokens, int numRelations) {
    int dim = config.dim();
    int hidden = dim;
    Random random = new Random(config.seed() ^ 0x9E3779B97F4A7C15L);
    List<DenseTensor> w = new ArrayList<>();
    w.add(uniform(ANCHORS, new int[] {tokens.numAnchors() + 1, dim}, 0.5f, random));
    w.add(uniform(DISTANCES, new int[] {tokens.maxDistance() + 2, dim}, 0.5f, random));
    w.add(uniform(RELATIONS, new int[] {tokens.numRelationTokens() + 1, dim}, 0.5f, random));
    int in = (tokens.anchorsPerEntity() + tokens.relationsPerEntity()) * dim;
    w.add(uniform(W1, new int[] {in, hidden}, (float) Math.sqrt(6.0 / (in + hidden)), random));
    w.add(new DenseTensor(B1, new int[] {hidden}, new float[hidden]));
    w.add(uniform(W2, new int[] {hidden, dim}, (float) Math.sqrt(6.0 / (hidden + dim)), random));
    w.add(new DenseTensor(B2, new int[] {dim}, new float[dim]));
    w = withOptimizerState(w);
    ScoringModel m = ScoringModels.byName(config.model());
    int rdim = m.relationWidth(dim);
    float[] relations = new float[numRelations * rdim];
    m.initRelations(relations, dim, random, config.initScale());
    return new ModelParameters(
        m.name(),
        tokens.numEntities(),
        numRelations,
        dim,
        rdim,
        new float[0],
        relations,
        new float[0],
        new float[numRelations],
        w);
  }

  private static DenseTensor uniform(String name, int[] shape, float scale, Random random) {
    int n = 1;
    for (int s : shape) n *= s;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (random.nextFloat() * 2f - 1f) * scale;
    return new DenseTensor(name, shape, v);
  }

  /**
   * Entity rows (row-major, tokens.numEntities() x dim) for every entity of the token table, which
   * may describe entities never seen in training (inductive use).
   */
  public static float[] encodeAll(
      List<DenseTensor> weights, NodePieceTokens tokens, Device device) {
    int blockSize = 4096;
    int dim = byName(weights).get(B2).shape()[0];
    float[] out = new float[tokens.numEntities() * dim];
    try (NDManager manager = NDManager.newBaseManager(device)) {
      Map<String, NDArray> w = new TreeMap<>();
      for (DenseTensor t : weightsOf(weights))
        w.put(t.name(), manager.create(t.values(), new Shape(t.longShape())));
      for (int from = 0; from < tokens.numEntities(); from += blockSize) {
        int to = Math.min(tokens.numEntities(), from + blockSize);
        try (NDManager block = manager.newSubManager()) {
          int[] ids = new int[to - from];
          for (int i = 0; i < ids.length; i++) ids[i] = from + i;
          NDArray rows = forward(block, w, tokens, ids);
          float[] values = rows.toFloatArray();
          System.arraycopy(values, 0, out, from * dim, values.length);
        }
      }
    }
    return out;
  }

  /** Convenience: the parameters with their entity table materialised from the encoder. */
  public static ModelParameters materialize(
      ModelParameters params, NodePieceTokens tokens, Device device) {
    return params.withEntities(encodeAll(params.encoder(), tokens, device));
  }

  /** The encoder's weights alone, without its optimizer state (the model a user keeps). */
  public static List<DenseTensor> weightsOf(List<DenseTensor> encoder) {
    List<DenseTensor> out = new ArrayList<>();
    for (DenseTensor t : encoder) {
      if (!t.name().startsWith(ADAM_PREFIX)) out.add(t);
    }
    return out;
  }

  /**
   * {@code encoder} with Adam state for every weight: the tensors given, in their order, then zero
   * moments and a zero step count for what they lack (a fresh encoder, or a checkpoint written
   * before the state was kept). Every shard of a round starts from the same list, so their outputs
   * line up tensor by tensor for averaging.
   */
  public static List<DenseTensor> withOptimizerState(List<DenseTensor> encoder) {
    Map<String, DenseTensor> have = new TreeMap<>();
    for (DenseTensor t : encoder) have.put(t.name(), t);
    List<DenseTensor> out = new ArrayList<>(encoder);
    for (DenseTensor t : weightsOf(encoder)) {
      for (String moment : List.of(firstMoment(t.name()), secondMoment(t.name()))) {
        if (!have.containsKey(moment)) {
          out.add(new DenseTensor(moment, t.shape().clone(), new float[t.values().length]));
        }
      }
    }
    if (!have.containsKey(ADAM_STEPS)) {
      out.add(new DenseTensor(ADAM_STEPS, new int[] {1}, new float[1]));
    }
    return out;
  }

  static String firstMoment(String weight) {
    return ADAM_PREFIX + "m/" + weight;
  }

  static String secondMoment(String weight) {
    return ADAM_PREFIX + "v/" + weight;
  }

  static Map<String, DenseTensor> byName(List<DenseTensor> weights) {
    Map<String, DenseTensor> m = new TreeMap<>();
    for (DenseTensor t : weights) m.put(t.name(), t);
    for (String name : WEIGHTS) {
      if (!m.containsKey(name)) {
        throw new IllegalArgumentException(
            "NodePiece weights lack tensor '" + name + "', have " + m.keySet());
      }
    }
    return m;
  }

  /**
   * Encoder forward for the given entities: rows (ids.length, dim). Token index arrays are created
   * in {@code manager}; results of ops belong to their inputs' managers, so callers scope the call.
   * Two ways to the same first layer, chosen by cost: per entity, its (k + m) token embeddings
   * concatenated and multiplied by W1 ({@link #forwardPerEntity}); or per token table, every table
   * row multiplied once by the block of W1 of each token position, the entity's rows then gathered
   * and summed ({@link #forwardPerTable}). A step with negatives encodes thousands of entities from
   * a vocabulary of about a thousand anchors: the second multiplies far fewer rows.
   */
  static NDArray forward(
      NDManager manager, Map<String, NDArray> w, NodePieceTokens tokens, int[] ids) {
    return perTableIsCheaper(tokens, ids.length)
        ? forwardPerTable(manager, w, tokens, ids)
        : forwardPerEntity(manager, w, tokens, ids);
  }

  /**
   * Rows through W1: u x (k + m) per entity, against k x (anchor rows + distance rows) + m x
   * (relation-token rows) per table.
   */
  static boolean perTableIsCheaper(NodePieceTokens tokens, int entities) {
    long k = tokens.anchorsPerEntity();
    long m = tokens.relationsPerEntity();
    long perEntity = (long) entities * (k + m);
    long perTable =
        k * (tokens.numAnchors() + 1 + tokens.maxDistance() + 2)
            + m * (tokens.numRelationTokens() + 1);
    return perTable < perEntity;
  }

  static NDArray forwardPerEntity(
      NDManager manager, Map<String, NDArray> w, NodePieceTokens tokens, int[] ids) {
    int k = tokens.anchorsPerEntity();
    int m = tokens.relationsPerEntity();
    int u = ids.length;
    NDArray anchorTable = w.get(ANCHORS);
    int dim = (int) anchorTable.getShape().get(1);
    List<NDArray> parts = new ArrayList<>();
    if (k > 0) {
      // the embedding op's backward adds gradient rows (index_add), unlike advanced indexing
      NDArray anchors =
          ShardTrainer.gatherRows(anchorTable, manager.create(anchorIndex(tokens, ids)));
      NDArray distances =
          ShardTrainer.gatherRows(w.get(DISTANCES), manager.create(distanceIndex(tokens, ids)));
      parts.add(anchors.add(distances).reshape(u, k * dim));
    }
    if (m > 0) {
      parts.add(
          ShardTrainer.gatherRows(w.get(RELATIONS), manager.create(relationIndex(tokens, ids)))
              .reshape(u, m * dim));
    }
    NDArray x = parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
    return mlpFromFirstLayer(x.matMul(w.get(W1)), w);
  }

  /**
   * The first layer as sums of precomputed rows: W1 is (k + m) blocks of dim rows, one per token
   * position; (anchor a + distance d at position j) x W1_j = A[a] x W1_j + D[d] x W1_j, so each
   * table times each of its positions' blocks gives a table of hidden rows, and an entity's
   * pre-activation is the sum of the rows its tokens pick. Same sum as the concatenation, added in
   * another order.
   *
   * <p>On the CPU the picking and summing is a sparse matrix product: a (u, rows x positions)
   * selection matrix with a 1 for each token of each entity, times the projected rows, so the u x
   * (k + m) picked rows are never copied out and their gradient is a sparse product as well. The
   * anchor and distance tables share their positions' blocks, so they are projected as one table.
   * On the NodePiece example's step (about 5,000 entities, 55 tokens each) the trainer ran 1.35-1.8
   * times as fast as with the rows gathered and summed, the example's train stage 1.5 times
   * (docs/benchmarks.md). Other devices keep the gather ({@link #positionSumByGather}): the sparse
   * form is measured on the CPU only.
   */
  static NDArray forwardPerTable(
      NDManager manager, Map<String, NDArray> w, NodePieceTokens tokens, int[] ids) {
    return forwardPerTable(
        manager, w, tokens, ids, w.get(ANCHORS).getDevice().equals(Device.cpu()));
  }

  static NDArray forwardPerTable(
      NDManager manager,
      Map<String, NDArray> w,
      NodePieceTokens tokens,
      int[] ids,
      boolean sparseSelection) {
    int k = tokens.anchorsPerEntity();
    int m = tokens.relationsPerEntity();
    int u = ids.length;
    NDArray anchorTable = w.get(ANCHORS);
    int dim = (int) anchorTable.getShape().get(1);
    NDArray w1 = w.get(W1);
    int hidden = (int) w1.getShape().get(1);
    NDArray blocks = w1.reshape(k + m, dim, hidden);
    NDArray sum = null;
    if (k > 0) {
      NDArray anchorBlocks = k == blocks.getShape().get(0) ? blocks : blocks.get("0:" + k);
      long[] anchors = anchorIndex(tokens, ids);
      long[] distances = distanceIndex(tokens, ids);
      NDArray distanceTable = w.get(DISTANCES);
      if (sparseSelection) {
        long anchorRows = anchorTable.getShape().get(0);
        for (int i = 0; i < distances.length; i++) distances[i] += anchorRows;
        sum =
            selectAndSum(
                NDArrays.concat(new NDList(anchorTable, distanceTable), 0),
                anchorBlocks,
                manager,
                u,
                k,
                hidden,
                anchors,
                distances);
      } else {
        sum =
            positionSumByGather(anchorTable, anchorBlocks, anchors, manager, u, k, hidden)
                .add(
                    positionSumByGather(
                        distanceTable, anchorBlocks, distances, manager, u, k, hidden));
      }
    }
    if (m > 0) {
      NDArray relationBlocks = k == 0 ? blocks : blocks.get(k + ":");
      long[] relationTokens = relationIndex(tokens, ids);
      NDArray relations =
          sparseSelection
              ? selectAndSum(
                  w.get(RELATIONS), relationBlocks, manager, u, m, hidden, relationTokens)
              : positionSumByGather(
                  w.get(RELATIONS), relationBlocks, relationTokens, manager, u, m, hidden);
      sum = sum == null ? relations : sum.add(relations);
    }
    return mlpFromFirstLayer(sum, w);
  }

  /**
   * For every entity i, the sum over positions j and index arrays x of (table x blocks_j)[x[i *
   * positions + j]]: (u, hidden). The table times every position's block is one (rows, dim) x (dim,
   * positions * hidden) product; the sum is a sparse selection matrix times it.
   */
  private static NDArray selectAndSum(
      NDArray table,
      NDArray blocks,
      NDManager manager,
      int u,
      int positions,
      int hidden,
      long[]... indexes) {
    long rows = table.getShape().get(0);
    long dim = table.getShape().get(1);
    // (rows, positions * hidden), seen as (rows * positions, hidden): row r of position j is
    // r * positions + j
    NDArray projected =
        table
            .matMul(blocks.transpose(1, 0, 2).reshape(dim, (long) positions * hidden))
            .reshape(rows * positions, hidden);
    int perIndex = u * positions;
    int n = perIndex * indexes.length;
    long[][] coordinates = new long[2][n];
    int at = 0;
    for (long[] index : indexes) {
      for (int i = 0; i < perIndex; i++) {
        coordinates[0][at] = i / positions;
        coordinates[1][at] = index[i] * positions + (i % positions);
        at++;
      }
    }
    // Not NDManager.createCoo: it closes its index and value arrays at once, while the sparse
    // tensor reads them later, over a Java buffer the garbage collector may have freed by then.
    // Here both stay in the step's manager until it closes.
    NDArray selection =
        JniUtils.createSparseCoo(
            (PtNDArray) manager.create(coordinates),
            (PtNDArray) manager.ones(new Shape(n), projected.getDataType()),
            new Shape(u, rows * positions));
    return selection.matMul(projected);
  }

  /**
   * sum over positions j of (table x blocks_j)[index of entity i at j], for every entity i: (u,
   * hidden), by gathering the u * positions projected rows and summing them.
   */
  private static NDArray positionSumByGather(
      NDArray table,
      NDArray blocks,
      long[] index,
      NDManager manager,
      int u,
      int positions,
      int hidden) {
    long rows = table.getShape().get(0);
    // (positions, rows, hidden), flattened so that row r of position j is j * rows + r
    NDArray projected = table.matMul(blocks).reshape(positions * rows, hidden);
    long[] flat = new long[index.length];
    for (int i = 0; i < index.length; i++) flat[i] = (i % positions) * rows + index[i];
    return ShardTrainer.gatherRows(projected, manager.create(flat))
        .reshape(u, positions, hidden)
        .sum(new int[] {1});
  }

  private static NDArray mlpFromFirstLayer(NDArray firstLayer, Map<String, NDArray> w) {
    NDArray preActivation = firstLayer.add(w.get(B1));
    NDArray hidden = preActivation.maximum(of(preActivation, 0f));
    return hidden.matMul(w.get(W2)).add(w.get(B2));
  }

  /** Anchor-table row of each (entity, position), padding for a missing anchor: (u * k). */
  private static long[] anchorIndex(NodePieceTokens tokens, int[] ids) {
    return tableRows(tokens.anchors(), tokens.anchorsPerEntity(), tokens.numAnchors(), ids);
  }

  /** Distance-table row of each (entity, position): clipped, its own row for a missing anchor. */
  private static long[] distanceIndex(NodePieceTokens tokens, int[] ids) {
    int k = tokens.anchorsPerEntity();
    long[] index = new long[ids.length * k];
    for (int i = 0; i < ids.length; i++) {
      for (int j = 0; j < k; j++) {
        int a = tokens.anchors()[ids[i] * k + j];
        int d = tokens.distances()[ids[i] * k + j];
        index[i * k + j] =
            a < 0 || d < 0 ? tokens.maxDistance() + 1 : Math.min(d, tokens.maxDistance());
      }
    }
    return index;
  }

  /** Relation-token row of each (entity, position), padding for a missing token: (u * m). */
  private static long[] relationIndex(NodePieceTokens tokens, int[] ids) {
    return tableRows(
        tokens.relationTokens(), tokens.relationsPerEntity(), tokens.numRelationTokens(), ids);
  }

  /**
   * Row of each (entity, position) of a token table with {@code perEntity} tokens per entity: the
   * token, or the padding row after the vocabulary for a missing one (-1).
   */
  private static long[] tableRows(int[] table, int perEntity, int padding, int[] ids) {
    long[] index = new long[ids.length * perEntity];
    for (int i = 0; i < ids.length; i++) {
      for (int j = 0; j < perEntity; j++) {
        int token = table[ids[i] * perEntity + j];
        index[i * perEntity + j] = token < 0 ? padding : token;
      }
    }
    return index;
  }
}
