package org.sparkkge.jobs.query;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Keeps the n best (index, score) pairs seen: higher score first, ties broken by the smaller id.
 */
final class TopN {
  record Entry(int index, int id, double score) {}

  /** Best first. */
  static final Comparator<Entry> BEST_FIRST =
      Comparator.comparingDouble(Entry::score).reversed().thenComparingInt(Entry::id);

  private final int n;
  private final PriorityQueue<Entry> worstOnTop;

  TopN(int n) {
    this.n = n;
    this.worstOnTop = new PriorityQueue<>(Math.max(1, n), BEST_FIRST.reversed());
  }

  void offer(int index, int id, double score) {
    if (n == 0 || Double.isNaN(score)) {
      return;
    }
    Entry entry = new Entry(index, id, score);
    if (worstOnTop.size() < n) {
      worstOnTop.add(entry);
    } else if (BEST_FIRST.compare(entry, worstOnTop.peek()) < 0) {
      worstOnTop.poll();
      worstOnTop.add(entry);
    }
  }

  List<Entry> best() {
    List<Entry> entries = new ArrayList<>(worstOnTop);
    entries.sort(BEST_FIRST);
    return entries;
  }
}
