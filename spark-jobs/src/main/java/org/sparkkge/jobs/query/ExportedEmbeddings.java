package org.sparkkge.jobs.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;

/**
 * The export stage's outputs loaded into memory for terminal queries: DIR/model.json (model, dim),
 * DIR/entity_embeddings (id, name, embedding, core_number, source) and DIR/relation_embeddings (id,
 * name, embedding). Entities and relations are kept as flat row-major float tables.
 */
public final class ExportedEmbeddings {

  private final String dir;
  private final TripleScorer scorer;
  private final int dim;
  private final Table entities;
  private final Table relations;
  private final int[] coreNumbers;
  private final String[] sources;

  /** One embedding table: row i has id ids[i], name names[i], vector at values[i * width]. */
  private record Table(
      int[] ids,
      String[] names,
      float[] values,
      int width,
      Map<String, Integer> rowByName,
      Map<Integer, Integer> rowById) {
    int rows() {
      return ids.length;
    }
  }

  private ExportedEmbeddings(
      String dir,
      TripleScorer scorer,
      int dim,
      Table entities,
      Table relations,
      int[] coreNumbers,
      String[] sources) {
    this.dir = dir;
    this.scorer = scorer;
    this.dim = dim;
    this.entities = entities;
    this.relations = relations;
    this.coreNumbers = coreNumbers;
    this.sources = sources;
  }

  public static ExportedEmbeddings load(String dir) {
    return load(dir, new Configuration());
  }

  public static ExportedEmbeddings load(String dir, Configuration conf) {
    Path root = new Path(dir);
    Path modelFile = new Path(root, Layout.MODEL_JSON);
    JsonNode model;
    try {
      FileSystem fs = modelFile.getFileSystem(conf);
      if (!fs.exists(modelFile)) {
        throw new PipelineException(
            "neighbors: "
                + modelFile
                + " not found: run the export stage first "
                + "(bin/spark-kge export --output "
                + dir
                + ")");
      }
      try (InputStream in = fs.open(modelFile)) {
        model = Json.mapper().readTree(in);
      }
    } catch (IOException e) {
      throw new PipelineException(
          "neighbors: " + modelFile + ": cannot read: " + e.getMessage(), e);
    }
    if (model == null
        || !model.path("model").isTextual()
        || !model.path("dim").canConvertToInt()
        || model.path("dim").asInt() <= 0) {
      throw new PipelineException(
          "neighbors: "
              + modelFile
              + ": expected \"model\" (a name) and \"dim\" (a positive number)");
    }
    int dim = model.get("dim").asInt();
    TripleScorer scorer;
    try {
      scorer = new TripleScorer(model.get("model").asText(), dim);
    } catch (IllegalArgumentException e) {
      throw new PipelineException("neighbors: " + modelFile + ": " + e.getMessage());
    }
    List<Integer> cores = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    Table entities =
        readTable(
            new Path(root, Layout.ENTITY_EMBEDDINGS),
            conf,
            dim,
            (row, file, n) -> {
              cores.add(
                  ParquetTable.present(row, "core_number") ? row.getInteger("core_number", 0) : -1);
              sources.add(ParquetTable.present(row, "source") ? row.getString("source", 0) : "");
            });
    Table relations =
        readTable(
            new Path(root, Layout.RELATION_EMBEDDINGS),
            conf,
            scorer.relationWidth(),
            (row, file, n) -> {});
    return new ExportedEmbeddings(
        dir,
        scorer,
        dim,
        entities,
        relations,
        cores.stream().mapToInt(Integer::intValue).toArray(),
        sources.toArray(String[]::new));
  }

  private static Table readTable(
      Path dir, Configuration conf, int width, ParquetTable.RowConsumer extra) {
    List<Integer> ids = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    Map<String, Integer> rowByName = new HashMap<>();
    Map<Integer, Integer> rowById = new HashMap<>();
    ParquetTable.forEachRow(
        dir,
        conf,
        (row, file, n) -> {
          for (String field : List.of("id", "name", "embedding")) {
            if (!ParquetTable.present(row, field)) {
              throw new PipelineException(
                  "neighbors: " + file + ": row " + n + ": missing " + field);
            }
          }
          int id = row.getInteger("id", 0);
          String name = row.getString("name", 0);
          float[] vector = ParquetTable.floatList(row, "embedding", file, n);
          if (vector.length != width) {
            throw new PipelineException(
                "neighbors: "
                    + file
                    + ": row "
                    + n
                    + ": embedding of '"
                    + name
                    + "' has "
                    + vector.length
                    + " values, expected "
                    + width
                    + " (model.json)");
          }
          if (rowByName.putIfAbsent(name, ids.size()) != null
              || rowById.putIfAbsent(id, ids.size()) != null) {
            throw new PipelineException(
                "neighbors: "
                    + file
                    + ": row "
                    + n
                    + ": duplicate id "
                    + id
                    + " or name '"
                    + name
                    + "'");
          }
          ids.add(id);
          names.add(name);
          vectors.add(vector);
          extra.accept(row, file, n);
        });
    float[] values = new float[vectors.size() * width];
    for (int i = 0; i < vectors.size(); i++) {
      System.arraycopy(vectors.get(i), 0, values, i * width, width);
    }
    return new Table(
        ids.stream().mapToInt(Integer::intValue).toArray(),
        names.toArray(String[]::new),
        values,
        width,
        rowByName,
        rowById);
  }

  public String model() {
    return scorer.model();
  }

  public int dim() {
    return dim;
  }

  public int entityCount() {
    return entities.rows();
  }

  /** Core number of an entity as exported (-1 when absent). */
  public int coreNumber(String entity) {
    return coreNumbers[entityRow(entity)];
  }

  public String source(String entity) {
    return sources[entityRow(entity)];
  }

  /** The embedding of an entity as exported. */
  public float[] entityEmbedding(String entity) {
    int row = entityRow(entity);
    return Arrays.copyOfRange(entities.values(), row * dim, (row + 1) * dim);
  }

  /** Accepts a name, or "#ID" for an id. */
  private int entityRow(String entity) {
    return row(entities, entity, "entity", Layout.ENTITY_EMBEDDINGS);
  }

  private int row(Table table, String key, String what, String dataset) {
    Integer row;
    if (key.startsWith("#")
        && key.length() > 1
        && key.substring(1).chars().allMatch(Character::isDigit)) {
      row = table.rowById().get(Integer.parseInt(key.substring(1)));
    } else {
      row = table.rowByName().get(key);
    }
    if (row == null) {
      throw new PipelineException(
          "neighbors: no " + what + " '" + key + "' in " + new Path(new Path(dir), dataset));
    }
    return row;
  }

  /**
   * The n entities most similar to {@code entity} by cosine similarity of their embeddings, itself
   * excluded.
   */
  public List<Hit> nearestNeighbors(String entity, int n) {
    int query = entityRow(entity);
    float[] e = entities.values();
    double queryNorm = norm(e, query);
    TopN top = new TopN(n);
    for (int row = 0; row < entities.rows(); row++) {
      if (row == query) {
        continue;
      }
      double dot = 0;
      for (int i = 0; i < dim; i++) {
        dot += (double) e[query * dim + i] * e[row * dim + i];
      }
      double denominator = queryNorm * norm(e, row);
      top.offer(row, entities.ids()[row], denominator == 0 ? 0 : dot / denominator);
    }
    return hits(top);
  }

  /**
   * Link prediction (head, relation, ?): the n best tails by the model's score, every entity a
   * candidate.
   */
  public List<Hit> predictTails(String head, String relation, int n) {
    int h = entityRow(head);
    int r = row(relations, relation, "relation", Layout.RELATION_EMBEDDINGS);
    TopN top = new TopN(n);
    for (int t = 0; t < entities.rows(); t++) {
      top.offer(t, entities.ids()[t], scorer.score(entities.values(), h, relations.values(), r, t));
    }
    return hits(top);
  }

  /** The model's score of one triple. */
  public double score(String head, String relation, String tail) {
    return scorer.score(
        entities.values(),
        entityRow(head),
        relations.values(),
        row(relations, relation, "relation", Layout.RELATION_EMBEDDINGS),
        entityRow(tail));
  }

  private List<Hit> hits(TopN top) {
    return top.best().stream()
        .map(e -> new Hit(e.id(), entities.names()[e.index()], e.score()))
        .toList();
  }

  private double norm(float[] values, int row) {
    double sum = 0;
    for (int i = 0; i < dim; i++) {
      double v = values[row * dim + i];
      sum += v * v;
    }
    return Math.sqrt(sum);
  }
}
