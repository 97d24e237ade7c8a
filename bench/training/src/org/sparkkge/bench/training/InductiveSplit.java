package org.sparkkge.bench.training;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * The inductive split of a benchmark graph (docs/benchmarks.md, "Entities added after training"):
 * a seeded fraction of the training entities is held out with every triple that touches them, a
 * model is trained on the rest, and the held-out entities come back after training with their
 * edges, to be embedded without retraining and ranked on their test triples.
 *
 * <ul>
 *   <li>held out: {@code fraction} of the entities of train, drawn by shuffling their sorted names
 *       with {@code new Random(seed)}; then every entity left without a training triple (all its
 *       edges touched held-out ones) joins them;
 *   <li>{@code train.tsv}: the training triples without a held-out entity (K: their entities, R:
 *       their relations);
 *   <li>{@code valid.tsv}, {@code test.tsv}: the valid / test triples with both entities in K and
 *       the relation in R (the transductive test);
 *   <li>{@code support.tsv}: the training and valid triples with a held-out entity (the other end
 *       held out or in K, the relation in R): the edges known about the new entities when they
 *       arrive, given to {@code export.new-triples};
 *   <li>{@code test-new.tsv}: the test triples with a held-out entity, under the same conditions,
 *       whose held-out entities have an edge in support, given to {@code
 *       evaluate.new-entity-test};
 *   <li>{@code split.json}: the counts.
 * </ul>
 *
 * The triples left out of every file have a relation outside R (seen only with held-out entities),
 * an entity that is not in train, or (test triples only) a held-out entity without an edge in
 * support: no ranked query has that relation, and no candidate is such an entity, so the filtered
 * ranking of both tests filters what the whole graph would.
 *
 * <p>Usage: InductiveSplit DATA_DIR OUT_DIR [FRACTION=0.1] [SEED=1], DATA_DIR holding
 * train/valid/test.txt(.gz).
 */
public final class InductiveSplit {
  private InductiveSplit() {}

  record Triple(String head, String relation, String tail) {
    String line() {
      return head + "\t" + relation + "\t" + tail;
    }
  }

  /** The split's files as lists, and its counts. */
  record Split(
      List<Triple> train,
      List<Triple> valid,
      List<Triple> test,
      List<Triple> support,
      List<Triple> testNew,
      Set<String> heldOut,
      Map<String, Object> counts) {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: InductiveSplit DATA_DIR OUT_DIR [FRACTION=0.1] [SEED=1]");
      System.exit(2);
    }
    Path data = Path.of(args[0]);
    Path out = Path.of(args[1]);
    double fraction = args.length > 2 ? Double.parseDouble(args[2]) : 0.1;
    long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
    Split split =
        split(
            read(find(data, "train")),
            read(find(data, "valid")),
            read(find(data, "test")),
            fraction,
            seed);
    Files.createDirectories(out);
    write(out.resolve("train.tsv"), split.train());
    write(out.resolve("valid.tsv"), split.valid());
    write(out.resolve("test.tsv"), split.test());
    write(out.resolve("support.tsv"), split.support());
    write(out.resolve("test-new.tsv"), split.testNew());
    StringBuilder json = new StringBuilder("{\n");
    int i = 0;
    for (Map.Entry<String, Object> e : split.counts().entrySet()) {
      json.append("  \"").append(e.getKey()).append("\": ").append(e.getValue());
      json.append(++i < split.counts().size() ? ",\n" : "\n");
    }
    Files.writeString(out.resolve("split.json"), json.append("}\n").toString());
    System.out.print(json);
  }

  static Split split(
      List<Triple> train, List<Triple> valid, List<Triple> test, double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("fraction must be in (0, 1), got " + fraction);
    }
    TreeSet<String> trainEntities = new TreeSet<>();
    for (Triple t : train) {
      trainEntities.add(t.head());
      trainEntities.add(t.tail());
    }
    List<String> order = new ArrayList<>(trainEntities);
    Collections.shuffle(order, new Random(seed));
    int sampled = (int) Math.round(fraction * order.size());
    Set<String> heldOut = new HashSet<>(order.subList(0, sampled));
    List<Triple> kept = select(train, t -> !heldOut.contains(t.head()) && !heldOut.contains(t.tail()));
    Set<String> known = new HashSet<>();
    Set<String> relations = new HashSet<>();
    for (Triple t : kept) {
      known.add(t.head());
      known.add(t.tail());
      relations.add(t.relation());
    }
    int orphans = 0;
    for (String e : trainEntities) {
      if (!known.contains(e) && heldOut.add(e)) orphans++;
    }
    Predicate<Triple> transductive =
        t -> known.contains(t.head()) && known.contains(t.tail()) && relations.contains(t.relation());
    Predicate<Triple> inductive =
        t ->
            (heldOut.contains(t.head()) || heldOut.contains(t.tail()))
                && (known.contains(t.head()) || heldOut.contains(t.head()))
                && (known.contains(t.tail()) || heldOut.contains(t.tail()))
                && relations.contains(t.relation());
    List<Triple> support = select(train, inductive);
    support.addAll(select(valid, inductive));
    // a held-out entity that comes back without an edge has nothing to be embedded from
    Set<String> returning = new HashSet<>();
    for (Triple t : support) {
      if (heldOut.contains(t.head())) returning.add(t.head());
      if (heldOut.contains(t.tail())) returning.add(t.tail());
    }
    Predicate<Triple> rankable =
        inductive.and(
            t ->
                (known.contains(t.head()) || returning.contains(t.head()))
                    && (known.contains(t.tail()) || returning.contains(t.tail())));
    Split result =
        new Split(
            kept,
            select(valid, transductive),
            select(test, transductive),
            support,
            select(test, rankable),
            heldOut,
            new LinkedHashMap<>());
    Map<String, Object> c = result.counts();
    c.put("fraction", fraction);
    c.put("seed", seed);
    c.put("train_entities", trainEntities.size());
    c.put("held_out_entities", heldOut.size());
    c.put("held_out_sampled", sampled);
    c.put("held_out_orphans", orphans);
    c.put("held_out_with_edges", returning.size());
    c.put("known_entities", known.size());
    c.put("relations", relations.size());
    c.put("train", kept.size());
    c.put("valid", result.valid().size());
    c.put("test", result.test().size());
    c.put("support", support.size());
    c.put("test_new", result.testNew().size());
    // held-out triples whose relation occurs only with held-out entities: no trained relation row
    c.put("train_dropped", train.size() - kept.size() - select(train, inductive).size());
    c.put("valid_dropped", valid.size() - result.valid().size() - select(valid, inductive).size());
    c.put("test_dropped", test.size() - result.test().size() - result.testNew().size());
    return result;
  }

  private static List<Triple> select(List<Triple> triples, Predicate<Triple> keep) {
    List<Triple> out = new ArrayList<>();
    for (Triple t : triples) if (keep.test(t)) out.add(t);
    return out;
  }

  private static Path find(Path dir, String split) {
    for (String name : List.of(split + ".txt.gz", split + ".txt", split + ".tsv")) {
      if (Files.exists(dir.resolve(name))) return dir.resolve(name);
    }
    throw new IllegalArgumentException(dir + " has no " + split + ".txt.gz, .txt or .tsv");
  }

  static List<Triple> read(Path file) throws IOException {
    List<Triple> triples = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) continue;
        String[] fields = line.split("\t", -1);
        if (fields.length != 3) {
          throw new IOException(
              String.format(
                  Locale.ROOT, "%s:%d: expected 3 fields, found %d", file, number, fields.length));
        }
        triples.add(new Triple(fields[0], fields[1], fields[2]));
      }
    }
    return triples;
  }

  private static void write(Path file, List<Triple> triples) {
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
      for (Triple t : triples) w.println(t.line());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
