package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The schedule's arithmetic against its contract, checked exhaustively for small B. */
class StratifiedScheduleTest {

  @Test
  void everyBucketIsTrainedOncePerPassByATaskOwningBothItsPartitionsAndTasksNeverShareAPartition() {
    for (int b = 2; b <= 16; b += 2) {
      StratifiedSchedule s = new StratifiedSchedule(b);
      assertEquals(b - 1, s.subRounds());
      for (int sub = 0; sub < s.subRounds(); sub++) {
        Set<Integer> owned = new HashSet<>();
        for (int task = 0; task < s.tasksPerSubRound(); task++) {
          for (int p : s.partitionsOf(sub, task)) {
            assertTrue(
                owned.add(p), "B=" + b + " sub-round " + sub + ": partition " + p + " owned twice");
            assertEquals(
                task, s.taskOf(sub, p), "B=" + b + " sub-round " + sub + " partition " + p);
          }
        }
        assertEquals(b, owned.size(), "every partition has an owner in every sub-round");
      }
      // an off-diagonal bucket (p, q) goes to the one sub-round where p and q share a task
      for (int p = 0; p < b; p++) {
        for (int q = 0; q < b; q++) {
          int sub = s.subRoundOf(p, q, 1, 2, 3);
          assertTrue(sub >= 0 && sub < s.subRounds());
          assertEquals(
              s.taskOf(sub, p), s.taskOf(sub, q), "B=" + b + " bucket (" + p + ", " + q + ")");
          if (p != q) {
            int pairsMeeting = 0;
            for (int other = 0; other < s.subRounds(); other++) {
              if (s.taskOf(other, p) == s.taskOf(other, q)) pairsMeeting++;
            }
            assertEquals(
                1,
                pairsMeeting,
                "B=" + b + ": partitions " + p + " and " + q + " meet once per pass");
          }
        }
      }
    }
  }

  @Test
  void diagonalBucketsAreSpreadOverTheSubRoundsAndPartitionsAreBalanced() {
    StratifiedSchedule s = new StratifiedSchedule(8);
    int[] perSubRound = new int[s.subRounds()];
    int[] perPartition = new int[8];
    for (int i = 0; i < 70_000; i++) {
      perSubRound[s.subRoundOf(3, 3, i, i % 5, 7 * i)]++;
      perPartition[s.partitionOf(i)]++;
    }
    for (int n : perSubRound) {
      assertTrue(
          Math.abs(n - 10_000) < 500, "diagonal slice " + n + " of 70,000 over 7 sub-rounds");
    }
    for (int n : perPartition) {
      assertTrue(
          Math.abs(n - 8_750) < 500, "partition of " + n + " of 70,000 ids over 8 partitions");
    }
  }

  @Test
  void defaultIsTwoPartitionsPerTaskAndOddCountsAreRefused() {
    assertEquals(8, StratifiedSchedule.forTasks(4, 0).partitions());
    assertEquals(4, StratifiedSchedule.forTasks(4, 0).tasksPerSubRound());
    assertEquals(12, StratifiedSchedule.forTasks(4, 12).partitions());
    assertThrows(IllegalArgumentException.class, () -> new StratifiedSchedule(5));
    assertThrows(IllegalArgumentException.class, () -> new StratifiedSchedule(0));
  }
}
