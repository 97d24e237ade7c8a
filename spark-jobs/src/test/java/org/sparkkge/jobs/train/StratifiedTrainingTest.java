package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;

/** The stratified schedule end to end on UMLS, and the exact pieces it is built from. */
class StratifiedTrainingTest {
  @TempDir Path tmp;

  @Test
  void fourTasksLearnAsOneAndEachHoldsAQuarterOfTheTable() throws Exception {
    double one = validMrr(train(1, "p1"), 6);
    Path dir = train(4, "p4");
    double four = validMrr(dir, 6);
    System.out.printf("STRATIFIED UMLS 6 epochs valid MRR: P=1 %.4f, P=4 %.4f%n", one, four);
    assertTrue(one > 0.6, "P=1 learns: " + one);
    // four tasks may learn faster than one (their relation changes add up within a sub-round); they
    // must not lose
    assertTrue(four > one - 0.04, "P=4 " + four + " vs P=1 " + one);

    Map<String, Object> round = roundJson(dir, 6);
    assertEquals("stratified", round.get("schedule"));
    assertEquals(8, round.get("entity_partitions"));
    assertEquals(7, round.get("sub_rounds"));
    // a task owns 2 of 8 partitions of UMLS's 135 entities: about 34, far below the table
    int largest = ((Number) round.get("largest_task_entity_rows")).intValue();
    assertTrue(largest >= 25 && largest <= 50, "largest task rows " + largest);
    // rounds of an epoch: three passes through the 7 sub-rounds
    assertEquals(3, round.get("bucket_slices"));
    List<?> perSubRound = (List<?>) round.get("per_sub_round");
    assertEquals(21, perSubRound.size());
    // the device of every task run of the round: 21 sub-rounds of 4 tasks, on the CPU here
    assertEquals(Map.of("cpu()", 84), round.get("task_devices"));
    long triples = ((Number) round.get("triples_trained")).longValue();
    assertTrue(
        triples > 5000 && triples <= 5216, "every training triple once per round: " + triples);
  }

  @Test
  void blocksSerialiseOnlyTheirSliceAndDeltasAddUpInSourceOrder() throws Exception {
    float[] table = {9, 9, 1, 2, 3, 4, 9};
    EntityBlock block =
        new EntityBlock(3, 2, new int[] {5, 8}, table, 2, new float[] {0.5f, 0.25f});
    EntityBlock copy = (EntityBlock) roundTrip(block);
    assertEquals(3, copy.partition());
    assertArrayEquals(new int[] {5, 8}, copy.ids());
    assertArrayEquals(new float[] {1, 2}, copy.row(0));
    assertArrayEquals(new float[] {3, 4}, copy.row(1));
    assertEquals(0.25f, copy.adagrad(1));

    List<ShardOutput.PoolDelta> deltas = new ArrayList<>();
    // entity 5: one task moved it: the whole move. Entity 8: two tasks, increments 0.125 and 1 from
    // 0.25
    // (1.375 with both): each move scaled by sqrt((0.25 + its increment) / 1.375); accumulators add
    // up
    deltas.add(
        new ShardOutput.PoolDelta(
            3,
            7,
            new int[] {8},
            new float[] {0.5f, -1f},
            new float[] {0.125f},
            new float[] {0.25f}));
    deltas.add(
        new ShardOutput.PoolDelta(
            3,
            2,
            new int[] {5, 8},
            new float[] {1, 1, 1, 1},
            new float[] {1, 1},
            new float[] {0.5f, 0.25f}));
    deltas.add(
        new ShardOutput.PoolDelta(
            4, 1, new int[] {99}, new float[] {7, 7}, new float[] {7}, new float[] {0}));
    EntityBlock updated = ShardTask.withDeltas(block, deltas);
    assertArrayEquals(new float[] {2, 3}, updated.row(0));
    double seven = Math.sqrt(0.375 / 1.375);
    double two = Math.sqrt(1.25 / 1.375);
    assertArrayEquals(
        new float[] {(float) (3 + 0.5 * seven + two), (float) (4 - seven + two)},
        updated.row(1),
        1e-6f);
    assertEquals(1.5f, updated.adagrad(0));
    assertEquals(1.375f, updated.adagrad(1));
    assertArrayEquals(new float[] {1, 2}, block.row(0), "the input block is not changed");
  }

  @Test
  void poolDeltasAndPoolsSerialiseInBulkAndReadBackEqual() throws Exception {
    // 70,000 floats: more than one chunk of the bulk copy
    float[] moves = new float[70_000];
    for (int i = 0; i < moves.length; i++) moves[i] = i * 0.5f - 7;
    int[] ids = new int[35_000];
    for (int i = 0; i < ids.length; i++) ids[i] = 3 * i + 1;
    float[] adagrad = new float[ids.length];
    Arrays.fill(adagrad, 0.75f);
    ShardOutput.PoolDelta delta =
        new ShardOutput.PoolDelta(6, 41, ids, moves, adagrad, new float[ids.length]);
    ShardOutput.PoolDelta deltaCopy = (ShardOutput.PoolDelta) roundTrip(delta);
    assertEquals(6, deltaCopy.partition());
    assertEquals(41, deltaCopy.shard());
    assertArrayEquals(ids, deltaCopy.ids());
    assertArrayEquals(moves, deltaCopy.values());
    assertArrayEquals(adagrad, deltaCopy.adagrad());
    assertArrayEquals(new float[ids.length], deltaCopy.startAdagrad());

    NegativePool pool = new NegativePool(2, ids, moves, adagrad);
    NegativePool poolCopy = (NegativePool) roundTrip(pool);
    assertEquals(2, poolCopy.dim());
    assertArrayEquals(ids, poolCopy.ids());
    assertArrayEquals(moves, poolCopy.values());
    assertArrayEquals(adagrad, poolCopy.adagrad());
    assertEquals(0, ((NegativePool) roundTrip(NegativePool.EMPTY)).rows());
  }

  private static Object roundTrip(Object value) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return in.readObject();
    }
  }

  private Path train(int shards, String name) throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve(name), shards);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(6, 1.0));
    // the default slices (three passes per round), which the shared UMLS settings set to one
    args.addAll(
        List.of("--set", "train.validation.every-rounds=6", "--set", "train.bucket-slices=0"));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(0, result.exitCode(), result.toString());
    return dir;
  }

  private static double validMrr(Path dir, int round) throws Exception {
    return ((Number) roundJson(dir, round).get("valid_mrr")).doubleValue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> roundJson(Path dir, int round) throws Exception {
    return new ObjectMapper()
        .readValue(
            dir.resolve(String.format("model/checkpoints/round-%05d/round.json", round)).toFile(),
            Map.class);
  }
}
