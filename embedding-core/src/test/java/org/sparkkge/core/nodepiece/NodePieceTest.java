package org.sparkkge.core.nodepiece;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TestData;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.data.KgDataset;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.train.GarbageCollectionDuringTrainingTest;
import org.sparkkge.core.train.TrainerProbe;

class NodePieceTest {
  static KgDataset umls;
  static NodePieceTokens tokens;
  static TrainConfig config;
  static TrainResult trained;

  /**
   * Synthetic tokens on UMLS: two anchors whose pair is unique per entity (so tokens determine
   * identity), fixed hop distances, and the entity's 3 most frequent outgoing relations (-1 when
   * fewer).
   */
  static NodePieceTokens identityTokens(KgDataset ds) {
    int e = ds.numEntities();
    int[] anchors = new int[e * 2];
    int[] distances = new int[e * 2];
    int[] relations = new int[e * 3];
    int[][] counts = new int[e][ds.numRelations()];
    for (int i = 0; i < ds.train().size(); i++)
      counts[ds.train().heads()[i]][ds.train().relations()[i]]++;
    for (int id = 0; id < e; id++) {
      anchors[id * 2] = id % 12;
      anchors[id * 2 + 1] = 12 + id / 12;
      distances[id * 2] = 1 + id % 3;
      distances[id * 2 + 1] = 2;
      int[] c = counts[id];
      Integer[] order = new Integer[c.length];
      for (int r = 0; r < c.length; r++) order[r] = r;
      Arrays.sort(order, (a, b) -> c[b] != c[a] ? c[b] - c[a] : a - b);
      for (int j = 0; j < 3; j++) relations[id * 3 + j] = c[order[j]] > 0 ? order[j] : -1;
    }
    return new NodePieceTokens(e, 2, 3, 24, ds.numRelations(), 3, anchors, distances, relations);
  }

  @BeforeAll
  static void trainOnce() {
    umls = TestData.bundled("umls");
    tokens = identityTokens(umls);
    config =
        TrainConfig.builder()
            .model("complex")
            .dim(32)
            .batchSize(500)
            .chunkSize(50)
            .negatives(100)
            .batchNegatives(50)
            .loss("softmax")
            .lr(0.1f)
            .denseLr(0.01f)
            .epochs(30)
            .seed(3)
            .threads(1)
            .build();
    ModelParameters start = NodePieceEncoder.initialize(config, tokens, umls.numRelations());
    trained = NodePieceTraining.train(umls.train(), start, config, Device.cpu(), tokens);
  }

  @Test
  void trainsEndToEndToAGoodFilteredMrr() {
    ModelParameters p = NodePieceEncoder.materialize(trained.params(), tokens, Device.cpu());
    TripleArrays known = TripleArrays.concat(umls.train(), umls.valid(), umls.test());
    EvaluationResult eval =
        LinkPredictionEvaluator.evaluate(p, umls.test(), known, 0, 256, 1, Device.cpu());
    System.out.printf("QUALITY nodepiece-complex umls %.4f%n", eval.realistic().mrr());
    assertTrue(eval.realistic().mrr() >= 0.65, eval.toString()); // measured 0.875
    // 7 weights, their two Adam moments each, and the step count
    assertEquals(7, NodePieceEncoder.weightsOf(trained.params().encoder()).size());
    assertEquals(22, trained.params().encoder().size());
    assertEquals(0, trained.params().entities().length, "encoded parameters carry no entity table");
  }

  @Test
  void unseenEntityGetsAVectorFromItsTokens() {
    // entity 5 as known, plus a new entity with a token combination no training entity has
    NodePieceTokens known = tokens.select(new int[] {5});
    NodePieceTokens unseen =
        new NodePieceTokens(
            2,
            2,
            3,
            24,
            umls.numRelations(),
            3,
            new int[] {known.anchors()[0], known.anchors()[1], 11, 23},
            new int[] {known.distances()[0], known.distances()[1], 3, 1},
            new int[] {
              known.relationTokens()[0],
              known.relationTokens()[1],
              known.relationTokens()[2],
              0,
              -1,
              -1
            });
    float[] rows = NodePieceEncoder.encodeAll(trained.params().encoder(), unseen, Device.cpu());
    float[] all = NodePieceEncoder.encodeAll(trained.params().encoder(), tokens, Device.cpu());
    assertEquals(2 * 32, rows.length);
    assertArrayEquals(
        Arrays.copyOfRange(all, 5 * 32, 6 * 32), Arrays.copyOfRange(rows, 0, 32), 1e-5f);
    float[] fresh = Arrays.copyOfRange(rows, 32, 64);
    for (float v : fresh) assertTrue(Float.isFinite(v));
    assertFalse(Arrays.equals(fresh, Arrays.copyOfRange(rows, 0, 32)));
  }

  @Test
  void theEncoderTrainsTheSameWhileTheCollectorRuns() throws Exception {
    TrainConfig shortRun = config.toBuilder().epochs(3).build();
    ModelParameters start = NodePieceEncoder.initialize(shortRun, tokens, umls.numRelations());
    TrainResult alone =
        NodePieceTraining.train(umls.train(), start, shortRun, Device.cpu(), tokens);
    TrainResult underCollection =
        GarbageCollectionDuringTrainingTest.whileCollectorRuns(
            () -> NodePieceTraining.train(umls.train(), start, shortRun, Device.cpu(), tokens));
    for (int i = 0; i < 7; i++) {
      assertArrayEquals(
          alone.params().encoder().get(i).values(),
          underCollection.params().encoder().get(i).values());
    }
    assertArrayEquals(alone.params().relations(), underCollection.params().relations());
  }

  @Test
  void nativeArraysStayFlatAndResultsAreDeterministic() {
    List<Integer> live = new ArrayList<>();
    TrainConfig shortRun = config.toBuilder().epochs(3).build();
    ModelParameters start = NodePieceEncoder.initialize(shortRun, tokens, umls.numRelations());
    TrainResult a =
        NodePieceTraining.train(
            umls.train(),
            start,
            shortRun,
            Device.cpu(),
            tokens,
            TrainerProbe.liveArrayCounts(live));
    // 7 encoder weights + 14 Adam moments + relation table and its accumulators
    assertEquals(List.of(23), live.stream().distinct().toList());
    TrainResult b = NodePieceTraining.train(umls.train(), start, shortRun, Device.cpu(), tokens);
    for (int i = 0; i < 7; i++) {
      assertArrayEquals(a.params().encoder().get(i).values(), b.params().encoder().get(i).values());
    }
  }

  @Test
  void adamStateLeavesWithTheWeightsAndANextRoundContinuesIt() {
    TrainConfig oneEpoch = config.toBuilder().epochs(1).build();
    ModelParameters start = NodePieceEncoder.initialize(oneEpoch, tokens, umls.numRelations());
    TrainResult first =
        NodePieceTraining.train(umls.train(), start, oneEpoch, Device.cpu(), tokens);
    Map<String, DenseTensor> state = new TreeMap<>();
    for (DenseTensor t : first.params().encoder()) state.put(t.name(), t);
    assertEquals((float) first.stats().steps(), state.get(NodePieceEncoder.ADAM_STEPS).values()[0]);
    for (DenseTensor w : NodePieceEncoder.weightsOf(first.params().encoder())) {
      float[] v = state.get(NodePieceEncoder.secondMoment(w.name())).values();
      assertEquals(w.values().length, v.length);
      assertTrue(maxAbs(v) > 0, "second moment of " + w.name() + " grew");
      assertTrue(maxAbs(state.get(NodePieceEncoder.firstMoment(w.name())).values()) > 0);
    }
    // the next round's first step: with the state carried, a small correction; with Adam
    // restarted (the weights alone), every weight moves by about dense-lr, whatever its gradient
    TrainConfig oneStep = oneEpoch.toBuilder().maxSteps(1).seed(4).build();
    ModelParameters carried = first.params();
    ModelParameters restarted =
        new ModelParameters(
            carried.model(),
            carried.numEntities(),
            carried.numRelations(),
            carried.dim(),
            carried.relationDim(),
            carried.entities(),
            carried.relations(),
            carried.entityAdagrad(),
            carried.relationAdagrad(),
            NodePieceEncoder.weightsOf(carried.encoder()));
    float[] before = weight(carried, NodePieceEncoder.W1);
    TrainResult continued =
        NodePieceTraining.train(umls.train(), carried, oneStep, Device.cpu(), tokens);
    TrainResult fresh =
        NodePieceTraining.train(umls.train(), restarted, oneStep, Device.cpu(), tokens);
    double carriedMove = meanAbsChange(before, weight(continued.params(), NodePieceEncoder.W1));
    double restartMove = meanAbsChange(before, weight(fresh.params(), NodePieceEncoder.W1));
    assertTrue(
        restartMove > 0.005 && restartMove <= 0.0101,
        "a restarted Adam moves each weight with a gradient by dense-lr (0.01): " + restartMove);
    assertTrue(
        carriedMove < 0.5 * restartMove,
        "carried state: mean move " + carriedMove + ", restarted " + restartMove);
    Map<String, DenseTensor> after = new TreeMap<>();
    for (DenseTensor t : continued.params().encoder()) after.put(t.name(), t);
    assertEquals(first.stats().steps() + 1f, after.get(NodePieceEncoder.ADAM_STEPS).values()[0]);
    // the tensors leave in the order they came, so every shard of a round lines up for averaging
    assertEquals(
        carried.encoder().stream().map(DenseTensor::name).toList(),
        continued.params().encoder().stream().map(DenseTensor::name).toList());
  }

  private static float[] weight(ModelParameters p, String name) {
    return p.encoder().stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow()
        .values();
  }

  private static double meanAbsChange(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    return sum / a.length;
  }

  private static float maxAbs(float[] v) {
    float m = 0;
    for (float x : v) m = Math.max(m, Math.abs(x));
    return m;
  }

  @Test
  void everyFormOfTheFirstLayerGivesTheSameRowsAndGradients() {
    ModelParameters p = NodePieceEncoder.initialize(config, tokens, umls.numRelations());
    // every entity, with padding tokens among them (identityTokens leaves rare relations out)
    int[] ids = new int[tokens.numEntities()];
    for (int i = 0; i < ids.length; i++) ids[i] = (i * 7) % ids.length;
    Map<String, float[]> perEntity = rowsAndGradients(p, ids, FirstLayer.PER_ENTITY);
    for (FirstLayer form : List.of(FirstLayer.PER_TABLE_GATHERED, FirstLayer.PER_TABLE_SPARSE)) {
      Map<String, float[]> perTable = rowsAndGradients(p, ids, form);
      assertEquals(perEntity.keySet(), perTable.keySet());
      for (String name : perEntity.keySet()) {
        float[] a = perEntity.get(name);
        float[] b = perTable.get(name);
        assertEquals(a.length, b.length, name);
        assertTrue(maxAbs(a) > 0, name + " is not all zeros");
        for (int i = 0; i < a.length; i++) {
          assertEquals(
              a[i], b[i], 1e-4f * Math.max(1f, Math.abs(a[i])), form + ": " + name + "[" + i + "]");
        }
      }
    }
    // the example's vocabulary (1,000 anchors, k = 20, m = 15, 2 x 237 relation tokens):
    // per table once a step encodes more entities than there are anchors
    NodePieceTokens example =
        new NodePieceTokens(1, 20, 15, 1000, 474, 5, new int[20], new int[20], new int[15]);
    assertFalse(NodePieceEncoder.perTableIsCheaper(example, 100));
    assertTrue(NodePieceEncoder.perTableIsCheaper(example, 5000));
  }

  private enum FirstLayer {
    PER_ENTITY,
    PER_TABLE_GATHERED,
    PER_TABLE_SPARSE
  }

  /** Rows (under "rows") and the gradient of every weight of sum(rows * c), c fixed. */
  private static Map<String, float[]> rowsAndGradients(
      ModelParameters p, int[] ids, FirstLayer form) {
    Map<String, float[]> out = new TreeMap<>();
    boolean gradMode = JniUtils.isGradMode();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      Map<String, NDArray> w = new TreeMap<>();
      for (DenseTensor t : NodePieceEncoder.weightsOf(p.encoder())) {
        NDArray leaf = manager.create(t.values(), new Shape(t.longShape()));
        leaf.setRequiresGradient(true);
        w.put(t.name(), leaf);
      }
      JniUtils.setGradMode(true);
      NDArray rows =
          form == FirstLayer.PER_ENTITY
              ? NodePieceEncoder.forwardPerEntity(manager, w, tokens, ids)
              : NodePieceEncoder.forwardPerTable(
                  manager, w, tokens, ids, form == FirstLayer.PER_TABLE_SPARSE);
      NDArray loss =
          rows.mul(manager.arange((float) rows.size()).reshape(rows.getShape()).sin()).sum();
      JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
      out.put("rows", rows.toFloatArray());
      for (Map.Entry<String, NDArray> e : w.entrySet()) {
        out.put("grad " + e.getKey(), e.getValue().getGradient().toFloatArray());
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return out;
  }

  @Test
  void badTokenTablesAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new NodePieceTokens(1, 1, 1, 4, 2, 3, new int[] {4}, new int[] {1}, new int[] {0}));
    assertTrue(e.getMessage().contains("anchors[0] = 4 outside [-1, 4)"), e.getMessage());
    ModelParameters shallow =
        ModelParameters.initialize(config, umls.numEntities(), umls.numRelations());
    assertThrows(
        IllegalArgumentException.class,
        () -> NodePieceTraining.train(umls.train(), shallow, config, Device.cpu(), tokens));
  }
}
