package org.sparkkge.jobs.ranking;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Held-out triples (valid/test) with an entity or a relation that never occurs in the training
 * triples: a model that embeds only train has no trained row for it. The ingest stage counts them,
 * the evaluate stage and training's validation drop them from ranking or rank them
 * (evaluate.unseen). Everything is a Spark join: nothing O(entities) or O(triples) reaches the
 * driver.
 */
public final class UnseenTriples {
  /** evaluate.unseen. */
  public enum Policy {
    /** Leave them out of ranking (PyKEEN and LibKGE do the same); count them. */
    DROP,
    /** Rank them like the others; count them. */
    RANK
  }

  public static final String UNSEEN_ENTITY = "unseen_entity";
  public static final String UNSEEN_RELATION = "unseen_relation";
  public static final String UNSEEN = "unseen";

  private UnseenTriples() {}

  /**
   * The triples (head, relation, tail) with three boolean columns: {@code unseen_entity} (head or
   * tail not in train), {@code unseen_relation} (relation not in train) and {@code unseen}
   * (either).
   *
   * @param train the training triples (head, relation, tail), ids of the same dictionaries
   */
  public static Dataset<Row> flag(Dataset<Row> triples, Dataset<Row> train) {
    return flag(triples, train, List.of());
  }

  /** {@link #flag(Dataset, Dataset)} that also keeps the triples' columns {@code kept}. */
  public static Dataset<Row> flag(Dataset<Row> triples, Dataset<Row> train, List<String> kept) {
    List<Column> tripleColumns =
        new ArrayList<>(List.of(col("head"), col("relation"), col("tail")));
    kept.forEach(name -> tripleColumns.add(col(name)));
    Dataset<Row> entities =
        train.select(col("head").as("e")).union(train.select(col("tail").as("e"))).distinct();
    Dataset<Row> relations = train.select(col("relation").as("r")).distinct();
    List<Column> flagged = new ArrayList<>(tripleColumns);
    flagged.add(col("seen_head").isNull().or(col("seen_tail").isNull()).as(UNSEEN_ENTITY));
    flagged.add(col("seen_relation").isNull().as(UNSEEN_RELATION));
    return triples
        .select(tripleColumns.toArray(Column[]::new))
        .join(
            entities.select(col("e").as("seen_head")),
            col("head").equalTo(col("seen_head")),
            "left")
        .join(
            entities.select(col("e").as("seen_tail")),
            col("tail").equalTo(col("seen_tail")),
            "left")
        .join(
            relations.select(col("r").as("seen_relation")),
            col("relation").equalTo(col("seen_relation")),
            "left")
        .select(flagged.toArray(Column[]::new))
        .withColumn(UNSEEN, col(UNSEEN_ENTITY).or(col(UNSEEN_RELATION)));
  }

  /** The triples whose entities and relation all occur in train (head, relation, tail). */
  public static Dataset<Row> seenOnly(Dataset<Row> triples, Dataset<Row> train) {
    return flag(triples, train).filter(not(col(UNSEEN))).select("head", "relation", "tail");
  }

  /** How many of the triples have an entity or relation that is not in train (a count job). */
  public static long count(Dataset<Row> triples, Dataset<Row> train) {
    return flag(triples, train).filter(col(UNSEEN)).count();
  }
}
