package org.sparkkge.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;

/**
 * A Spark executor collects garbage all the time while its tasks train. Each loss, regularizer and
 * model is trained once alone and once while another thread keeps the garbage collector running,
 * and must give exactly the same parameters: no operand of a recorded operation may live in memory
 * that the collector can free before the backward pass reads it (see NativeScalars).
 */
public class GarbageCollectionDuringTrainingTest {
  @Test
  void everyLossAndModelTrainsTheSameWhileTheCollectorRuns() throws Exception {
    List<TrainConfig> configs =
        List.of(
            ShardTrainerTest.small()
                .dim(64)
                .negatives(256)
                .softmaxMargin(5f)
                .removeAccidentalHits(false)
                .regularizer("n3")
                .regWeight(0.05f)
                .lr(0.2f)
                .build(),
            ShardTrainerTest.small()
                .model("complex_reciprocal")
                .regularizer("l2")
                .regWeight(0.01f)
                .build(),
            ShardTrainerTest.small().model("distmult").loss("logistic").build(),
            ShardTrainerTest.small().model("transe_l2").loss("margin").build(),
            ShardTrainerTest.small().model("rotate").loss("adversarial").build());
    for (TrainConfig config : configs) {
      TrainResult alone = ShardTrainerTest.train(ShardTrainerTest.UMLS.train(), config);
      TrainResult underCollection =
          whileCollectorRuns(() -> ShardTrainerTest.train(ShardTrainerTest.UMLS.train(), config));
      String which = config.model() + " / " + config.loss();
      assertEquals(alone.stats().lastStepLoss(), underCollection.stats().lastStepLoss(), which);
      assertArrayEquals(alone.params().entities(), underCollection.params().entities(), which);
      assertArrayEquals(alone.params().relations(), underCollection.params().relations(), which);
    }
  }

  /** Runs {@code training} while another thread calls the garbage collector over and over. */
  public static <T> T whileCollectorRuns(Callable<T> training) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger collections = new AtomicInteger();
    Thread collector =
        new Thread(
            () -> {
              while (!stop.get()) {
                System.gc();
                collections.incrementAndGet();
              }
            },
            "garbage-collector-hammer");
    collector.start();
    T result;
    try {
      result = training.call();
    } finally {
      stop.set(true);
      collector.join();
    }
    assertTrue(collections.get() > 3, "collections during training: " + collections.get());
    return result;
  }
}
