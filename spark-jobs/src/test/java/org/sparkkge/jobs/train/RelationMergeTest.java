package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The stratified schedule's merge of the shared relations after a sub-round. */
class RelationMergeTest {

  private static ShardOutput.Summary summary(int shard, long triples, float[] relations, float[] adagrad) {
    return new ShardOutput.Summary(shard, triples, 1, 4, 4, 1.0, 1.0, 1, relations, adagrad, List.of(), null);
  }

  @Test
  void everyTrainedTaskChangeIsAddedAsASequentialPassWouldAndUntrainedTasksAddNothing() {
    // 2 relations x dim 2
    SharedParams current = new SharedParams(2, 2, new float[] {1, 1, 1, 1}, new float[] {0.5f, 0.5f}, List.of());
    // task 0 trained relation 0 only, task 1 relation 1 only: a sum keeps each change whole
    ShardOutput.Summary first = summary(0, 10, new float[] {1.5f, 0.75f, 1, 1}, new float[] {1.5f, 0.5f});
    ShardOutput.Summary second = summary(1, 30, new float[] {1, 1, 2, 1.25f}, new float[] {0.5f, 0.75f});
    // both tasks moved relation 1's second coordinate in the last row below: the moves add up
    ShardOutput.Summary third = summary(2, 5, new float[] {1, 1, 1, 1.5f}, new float[] {0.5f, 1.5f});
    // a task that trained nothing returns what it received, or anything: it must not count
    ShardOutput.Summary idle = summary(3, 0, new float[] {9, 9, 9, 9}, new float[] {9, 9});

    SharedParams merged = StratifiedRounds.merge(current, List.of(first, second, third, idle));

    assertArrayEquals(new float[] {1.5f, 0.75f, 2, 1.75f}, merged.relations());
    assertArrayEquals(new float[] {1.5f, 1.75f}, merged.relationAdagrad());
    assertArrayEquals(new float[] {1, 1, 1, 1}, current.relations(), "the input is not modified");
  }

  @Test
  void aSubRoundWhereNoTaskTrainedKeepsTheParameters() {
    SharedParams current = new SharedParams(1, 2, new float[] {1, 2}, new float[] {3}, List.of());
    assertSame(current, StratifiedRounds.merge(current, List.of(summary(0, 0, new float[] {5, 5}, new float[] {5}))));
  }
}
