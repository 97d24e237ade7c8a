package org.sparkkge.jobs.train;

/**
 * The validation MRRs of a run's rounds, in round order, for {@code train.validation.keep = best}
 * and {@code train.validation.patience}: the best round (the earlier one on a tie) and how many
 * validations have passed since it.
 */
final class BestRound {
  private int bestRound = -1;
  private double bestMrr = Double.NEGATIVE_INFINITY;
  private int sinceBest;

  /** Records round {@code round}'s validation MRR; rounds come in increasing order. */
  void add(int round, double mrr) {
    if (mrr > bestMrr) {
      bestMrr = mrr;
      bestRound = round;
      sinceBest = 0;
    } else {
      sinceBest++;
    }
  }

  boolean isEmpty() {
    return bestRound < 0;
  }

  /** The validated round with the highest MRR; -1 when none was validated. */
  int round() {
    return bestRound;
  }

  double mrr() {
    return bestMrr;
  }

  /** Validations after the best one (none when the latest was the best). */
  int validationsSinceBest() {
    return sinceBest;
  }
}
