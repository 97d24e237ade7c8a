package org.sparkkge.jobs.query;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.progress.Streams;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spark-kge neighbors}: nearest neighbours of an entity, or link prediction for (head,
 * relation, ?), from the export stage's Parquet files, read directly (no Spark, seconds for a few
 * hundred thousand entities). Prints a comment line, then tab-separated {@code rank id name score},
 * best first.
 */
@Command(
    name = "neighbors",
    sortOptions = false,
    description = {
      "Query exported embeddings without starting Spark: nearest neighbours of an entity by cosine similarity "
          + "(--entity), or the best tails for (head, relation, ?) by the model's score (--head and --relation).",
      "Entities and relations are given by name, or as #ID. Output: rank, id, name, score (tab-separated), best first."
    })
public final class NeighborsCommand implements Callable<Integer> {
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      required = true,
      description =
          "The run's output directory (holds model.json, entity_embeddings/, relation_embeddings/).")
  String output;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Query query;

  static final class Query {
    @Option(
        names = "--entity",
        paramLabel = "ENTITY",
        description = "Nearest neighbours of this entity.")
    String entity;

    @ArgGroup(exclusive = false)
    LinkQuery link;
  }

  static final class LinkQuery {
    @Option(
        names = "--head",
        paramLabel = "ENTITY",
        required = true,
        description = "Head of the (head, relation, ?) query.")
    String head;

    @Option(
        names = "--relation",
        paramLabel = "RELATION",
        required = true,
        description = "Relation of the query.")
    String relation;
  }

  @Option(
      names = "--top",
      paramLabel = "N",
      defaultValue = "10",
      description = "Number of answers (default ${DEFAULT-VALUE}).")
  int top;

  private final Streams streams;

  public NeighborsCommand(Streams streams) {
    this.streams = streams;
  }

  /** The subcommand, for the CLI's CommandLine. */
  public static CommandLine commandLine(Streams streams) {
    return new CommandLine(new NeighborsCommand(streams));
  }

  @Override
  public Integer call() {
    if (top < 1) {
      streams.err().println("spark-kge neighbors: --top must be at least 1, got " + top);
      return 2;
    }
    try {
      ExportedEmbeddings embeddings = ExportedEmbeddings.load(output);
      List<Hit> hits;
      if (query.entity != null) {
        hits = embeddings.nearestNeighbors(query.entity, top);
        streams
            .out()
            .printf(
                Locale.ROOT,
                "# nearest neighbours of %s by cosine similarity (%s, dim %d, %d entities)%n",
                query.entity,
                embeddings.model(),
                embeddings.dim(),
                embeddings.entityCount());
      } else {
        hits = embeddings.predictTails(query.link.head, query.link.relation, top);
        streams
            .out()
            .printf(
                Locale.ROOT,
                "# tails of (%s, %s, ?) by %s score (dim %d, %d entities)%n",
                query.link.head,
                query.link.relation,
                embeddings.model(),
                embeddings.dim(),
                embeddings.entityCount());
      }
      streams.out().println("rank\tid\tname\tscore");
      int rank = 1;
      for (Hit hit : hits) {
        streams
            .out()
            .printf(Locale.ROOT, "%d\t%d\t%s\t%.6f%n", rank++, hit.id(), hit.name(), hit.score());
      }
      streams.out().flush();
      return 0;
    } catch (PipelineException e) {
      streams.err().println(e.getMessage());
      return 1;
    }
  }
}
