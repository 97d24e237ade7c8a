package org.sparkkge.jobs.ranking;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A sum of doubles that is exact until read, then correctly rounded (Shewchuk's non-overlapping
 * partials, as Python's math.fsum). The result does not depend on the order of the terms, so
 * metrics summed over query groups and entity blocks come out bit-identical however Spark split the
 * work.
 */
final class ExactSum implements Serializable {
  private double[] partials = new double[4];
  private int size;

  void add(double value) {
    double x = value;
    int kept = 0;
    for (int i = 0; i < size; i++) {
      double y = partials[i];
      if (Math.abs(x) < Math.abs(y)) {
        double swap = x;
        x = y;
        y = swap;
      }
      double hi = x + y;
      double lo = y - (hi - x);
      if (lo != 0.0) {
        partials[kept++] = lo;
      }
      x = hi;
    }
    if (kept == partials.length) {
      partials = Arrays.copyOf(partials, kept * 2);
    }
    partials[kept++] = x;
    size = kept;
  }

  void addAll(ExactSum other) {
    for (int i = 0; i < other.size; i++) {
      add(other.partials[i]);
    }
  }

  /** The exact sum rounded to the nearest double (ties to even). */
  double value() {
    if (size == 0) {
      return 0.0;
    }
    int n = size - 1;
    double hi = partials[n];
    double lo = 0.0;
    while (n > 0) {
      double x = hi;
      double y = partials[--n];
      hi = x + y;
      double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0) {
        break;
      }
    }
    // half-way case: the remaining partials decide the rounding direction
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      double y = lo * 2;
      double x = hi + y;
      double yr = x - hi;
      if (y == yr) {
        hi = x;
      }
    }
    return hi;
  }
}
