package org.sparkkge.jobs.ingest;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.sparkkge.jobs.UsageException;

/** The ingest.*, input.* and output.* settings, validated. */
public record IngestOptions(
    String train,
    String valid,
    String test,
    Format format,
    String delimiter,
    List<String> columns,
    boolean header,
    OnError onError,
    long maxSplitBytes,
    NTriplesLineParser.LiteralPolicy literals,
    String parquetHead,
    String parquetRelation,
    String parquetTail,
    String rejectsFormat,
    String compression,
    Leakage leakage) {

  public enum Format {
    /**
     * From each input's name (see {@link #fromName}); a name without a known extension is read as
     * TSV.
     */
    AUTO,
    TSV,
    CSV,
    NTRIPLES,
    PARQUET
  }

  public enum OnError {
    FAIL,
    SKIP
  }

  /** What ingest does with valid/test triples that also occur in train (ingest.leakage). */
  public enum Leakage {
    /** Keep them; print and record their count. */
    WARN,
    /** Remove them from valid/test; record their count. */
    DROP,
    /** Stop with exit code 1, the count and one example. */
    FAIL
  }

  public static IngestOptions from(Config config) {
    try {
      String train = config.getString("input.train").trim();
      if (train.isEmpty()) {
        throw new UsageException("no training input: give --train PATH or set input.train");
      }
      Format format = choice(config, "ingest.format", Format.class);
      List<String> columns = config.getStringList("ingest.columns");
      if (columns.size() != 3 || !Set.copyOf(columns).equals(Set.of("head", "relation", "tail"))) {
        throw new UsageException(
            "ingest.columns must be a permutation of [head, relation, tail], got " + columns);
      }
      String delimiter = config.getString("ingest.delimiter");
      String rejectsFormat = config.getString("output.rejects-format").toLowerCase(Locale.ROOT);
      if (!rejectsFormat.equals("json") && !rejectsFormat.equals("parquet")) {
        throw new UsageException(
            "output.rejects-format must be json or parquet, got " + rejectsFormat);
      }
      String compression = config.getString("output.compression").toLowerCase(Locale.ROOT);
      if (!Set.of("snappy", "zstd", "gzip", "none").contains(compression)) {
        throw new UsageException(
            "output.compression must be snappy, zstd, gzip or none, got " + compression);
      }
      long maxSplitBytes = config.getBytes("ingest.max-split-bytes");
      if (maxSplitBytes < 0) {
        throw new UsageException("ingest.max-split-bytes must be >= 0");
      }
      return new IngestOptions(
          train,
          config.getString("input.valid").trim(),
          config.getString("input.test").trim(),
          format,
          delimiter,
          columns,
          config.getBoolean("ingest.header"),
          choice(config, "ingest.on-error", OnError.class),
          maxSplitBytes,
          choice(config, "ingest.ntriples.literals", NTriplesLineParser.LiteralPolicy.class),
          config.getString("ingest.parquet.head-column"),
          config.getString("ingest.parquet.relation-column"),
          config.getString("ingest.parquet.tail-column"),
          rejectsFormat,
          compression,
          choice(config, "ingest.leakage", Leakage.class));
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage(), e);
    }
  }

  private static <E extends Enum<E>> E choice(Config config, String key, Class<E> type) {
    String value = config.getString(key);
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      StringBuilder allowed = new StringBuilder();
      for (E constant : type.getEnumConstants()) {
        allowed
            .append(allowed.length() == 0 ? "" : ", ")
            .append(constant.name().toLowerCase(Locale.ROOT));
      }
      throw new UsageException(key + " must be one of " + allowed + ", got '" + value + "'");
    }
  }

  /** The parser of a text format (ingest.delimiter empty: tab for tsv, comma for csv). */
  public LineParser lineParser(Format resolved) {
    return switch (resolved) {
      case TSV -> new DelimitedLineParser(delimiter.isEmpty() ? "\t" : delimiter, false, columns);
      case CSV -> new DelimitedLineParser(delimiter.isEmpty() ? "," : delimiter, true, columns);
      case NTRIPLES -> new NTriplesLineParser(literals);
      case PARQUET -> throw new IllegalStateException("Parquet input is not read line by line");
      case AUTO -> throw new IllegalStateException("resolve ingest.format = auto first (formatOf)");
    };
  }

  /** How an input's format was chosen, for the console and stats.json. */
  public record ResolvedFormat(Format format, String reason) {}

  /**
   * The format of one input: ingest.format when it is not auto; with auto, the extension of the
   * input's name, or for a directory without a known extension the name of its first data file (one
   * listing call, not a full scan); TSV when neither says.
   */
  public ResolvedFormat formatOf(Path input, FileSystem fs) throws IOException {
    if (format != Format.AUTO) {
      return new ResolvedFormat(format, "ingest.format");
    }
    Format byName = fromName(input.getName());
    if (byName != null) {
      return new ResolvedFormat(byName, "from the name " + input.getName());
    }
    FileStatus status = fs.getFileStatus(input);
    if (status.isDirectory()) {
      Path first = firstDataFile(fs, input, 0);
      Format byPart = first == null ? null : fromName(first.getName());
      if (byPart != null) {
        return new ResolvedFormat(byPart, "from the name of its file " + first.getName());
      }
    }
    return new ResolvedFormat(Format.TSV, "no known extension (ingest.format = auto): tsv");
  }

  /**
   * The format an extension names: .nt(.gz) ntriples, .parquet parquet, .tsv(.gz) and .txt(.gz)
   * tsv, .csv(.gz) csv (case-insensitive); null for any other name.
   */
  public static Format fromName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".gz")) {
      lower = lower.substring(0, lower.length() - 3);
    } else if (lower.endsWith(".parquet")) {
      return Format.PARQUET;
    }
    if (lower.endsWith(".nt")) {
      return Format.NTRIPLES;
    }
    if (lower.endsWith(".tsv") || lower.endsWith(".txt")) {
      return Format.TSV;
    }
    if (lower.endsWith(".csv")) {
      return Format.CSV;
    }
    return null;
  }

  /**
   * The first file (in listing order) under dir that Hadoop reads: names starting with _ or . are
   * skipped.
   */
  private static Path firstDataFile(FileSystem fs, Path dir, int depth) throws IOException {
    if (depth > 16) {
      return null;
    }
    RemoteIterator<FileStatus> entries = fs.listStatusIterator(dir);
    while (entries.hasNext()) {
      FileStatus entry = entries.next();
      String name = entry.getPath().getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        continue;
      }
      if (entry.isFile()) {
        return entry.getPath();
      }
      Path inside = firstDataFile(fs, entry.getPath(), depth + 1);
      if (inside != null) {
        return inside;
      }
    }
    return null;
  }
}
