package org.sparkkge.jobs.train;

import java.util.Map;
import org.apache.spark.api.java.JavaRDD;

/** One way of training a round on Spark: the averaged shards, or the stratified schedule. */
interface RoundRunner extends AutoCloseable {

  /**
   * Trains round {@code round} from {@code shared} and the entity table of checkpoint {@code round
   * - 1} with the learning rates of {@code options} (the run's, or lowered after a divergence);
   * writes the round's entity table (shallow mode) to checkpoint {@code round}.
   */
  RoundResult train(int round, SharedParams shared, TrainOptions options) throws Exception;

  /**
   * Rows of the largest task's table (its entity rows and any extra negative rows it scores
   * against; 0 in NodePiece mode), for the memory check.
   */
  long largestTaskTableRows();

  /**
   * Shallow mode: the ids of the entity table, every entity of the triples trained on (after
   * reduce.k > 0 the core's); null in NodePiece mode, which has no entity table.
   */
  default JavaRDD<Integer> tableIds() {
    return null;
  }

  /**
   * NodePiece mode: the token tables' shapes (initialisation and validation need them); null
   * otherwise.
   */
  default TokenTables tokenTables() {
    return null;
  }

  /** The schedule's entries for stats.json's train section (how the work was split). */
  Map<String, Object> describe();

  /** Tasks that train in one wave: shards, or tasks per sub-round. */
  int tasksPerWave();

  @Override
  void close();
}
