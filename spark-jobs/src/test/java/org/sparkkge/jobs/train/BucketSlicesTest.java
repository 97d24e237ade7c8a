package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.config.ConfigLoader;

/** train.bucket-slices: how many slices, and which triples each slice of a round trains. */
class BucketSlicesTest {
  private static TrainOptions options(String... settings) {
    return TrainOptions.from(
        ConfigFactory.parseString(String.join("\n", settings))
            .withFallback(ConfigLoader.defaults())
            .resolve());
  }

  @Test
  void theDefaultPassesThreeTimesPerEpochThroughTheSubRounds() {
    // rounds of an epoch (the FB15k-237 example)
    TrainOptions epoch = options("train.round-fraction = 1");
    assertEquals(1, epoch.bucketSlices(2), "one task per sub-round shares nothing");
    assertEquals(3, epoch.bucketSlices(4));
    assertEquals(3, epoch.bucketSlices(8));
    assertEquals(3, epoch.bucketSlices(16), "whatever the sub-rounds' length");
    // the default round of half an epoch: two passes
    assertEquals(2, options().bucketSlices(4));
    // a round of a third of an epoch is one pass already
    assertEquals(1, options("train.round-fraction = 0.3334").bucketSlices(16));
    assertEquals(6, options("train.round-fraction = 2").bucketSlices(4));
    assertEquals(5, options("train.bucket-slices = 5").bucketSlices(16), "the setting wins");
    assertThrows(UsageException.class, () -> options("train.bucket-slices = -1"));
  }

  @Test
  void theSlicesOfARoundTrainEveryTripleOnce() {
    int n = 1003;
    int[] seen = new int[n];
    int smallest = n;
    int largest = 0;
    for (int index = 0; index < 4; index++) {
      int[] part = new ShardTask.Slice(index, 4).positions(n, 77);
      for (int i = 1; i < part.length; i++) assertTrue(part[i - 1] < part[i], "ascending");
      for (int p : part) seen[p]++;
      smallest = Math.min(smallest, part.length);
      largest = Math.max(largest, part.length);
    }
    for (int p = 0; p < n; p++) assertEquals(1, seen[p], "triple " + p);
    assertTrue(largest - smallest <= 1, "near-equal slices: " + smallest + ".." + largest);
    // a slice is a seeded sample, not a run of neighbouring (sorted) triples
    int[] first = new ShardTask.Slice(0, 4).positions(n, 77);
    assertTrue(first[first.length - 1] > n / 2, "spread over the unit");
    assertArrayEquals(first, new ShardTask.Slice(0, 4).positions(n, 77), "same seed, same slice");
    assertNotEquals(
        Arrays.toString(first), Arrays.toString(new ShardTask.Slice(0, 4).positions(n, 78)));
    // one slice: every triple, in order
    int[] whole = new ShardTask.Slice(0, 1).positions(5, 77);
    assertEquals(List.of(0, 1, 2, 3, 4), Arrays.stream(whole).boxed().toList());
    assertThrows(IllegalArgumentException.class, () -> new ShardTask.Slice(2, 2));
  }
}
