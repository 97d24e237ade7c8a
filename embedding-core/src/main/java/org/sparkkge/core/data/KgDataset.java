package org.sparkkge.core.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.sparkkge.core.TripleArrays;

/**
 * A link-prediction benchmark folder ({@code train.txt.gz}, {@code valid.txt.gz}, {@code
 * test.txt.gz}, gzip TSV {@code head<TAB>relation<TAB>tail}) loaded into dense ids, assigned in
 * order of first appearance (train, then valid, then test). For tests and benchmarks; Spark ingest
 * is the real path.
 */
public record KgDataset(
    List<String> entityNames,
    List<String> relationNames,
    TripleArrays train,
    TripleArrays valid,
    TripleArrays test) {

  public int numEntities() {
    return entityNames.size();
  }

  public int numRelations() {
    return relationNames.size();
  }

  public static KgDataset load(Path folder) {
    Map<String, Integer> entities = new HashMap<>();
    Map<String, Integer> relations = new HashMap<>();
    List<String> entityNames = new ArrayList<>();
    List<String> relationNames = new ArrayList<>();
    TripleArrays[] splits = new TripleArrays[3];
    String[] names = {"train.txt.gz", "valid.txt.gz", "test.txt.gz"};
    for (int s = 0; s < 3; s++) {
      Path file = folder.resolve(names[s]);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("dataset file missing: " + file.toAbsolutePath());
      }
      splits[s] = readFile(file, entities, entityNames, relations, relationNames);
    }
    return new KgDataset(
        List.copyOf(entityNames), List.copyOf(relationNames), splits[0], splits[1], splits[2]);
  }

  private static TripleArrays readFile(
      Path file,
      Map<String, Integer> entities,
      List<String> entityNames,
      Map<String, Integer> relations,
      List<String> relationNames) {
    IntList h = new IntList();
    IntList r = new IntList();
    IntList t = new IntList();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16);
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int lineNo = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isEmpty()) {
          continue;
        }
        String[] f = line.split("\t", -1);
        if (f.length != 3 || f[0].isEmpty() || f[1].isEmpty() || f[2].isEmpty()) {
          throw new IllegalArgumentException(
              file
                  + ":"
                  + lineNo
                  + ": expected head<TAB>relation<TAB>tail, got "
                  + f.length
                  + " field(s): '"
                  + (line.length() > 200 ? line.substring(0, 200) + "..." : line)
                  + "'");
        }
        h.add(id(f[0], entities, entityNames));
        r.add(id(f[1], relations, relationNames));
        t.add(id(f[2], entities, entityNames));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return new TripleArrays(h.toArray(), r.toArray(), t.toArray());
  }

  private static int id(String name, Map<String, Integer> ids, List<String> names) {
    Integer id = ids.get(name);
    if (id == null) {
      id = names.size();
      ids.put(name, id);
      names.add(name);
    }
    return id;
  }

  private static final class IntList {
    private int[] values = new int[1024];
    private int size;

    void add(int v) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
