package org.sparkkge.jobs.ingest;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
    String compression) {

  public enum Format {
    TSV,
    CSV,
    NTRIPLES,
    PARQUET
  }

  public enum OnError {
    FAIL,
    SKIP
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
      if (delimiter.isEmpty()) {
        delimiter = format == Format.CSV ? "," : "\t";
      }
      String rejectsFormat = config.getString("output.rejects-format").toLowerCase(Locale.ROOT);
      if (!rejectsFormat.equals("json") && !rejectsFormat.equals("parquet")) {
        throw new UsageException("output.rejects-format must be json or parquet, got " + rejectsFormat);
      }
      String compression = config.getString("output.compression").toLowerCase(Locale.ROOT);
      if (!Set.of("snappy", "zstd", "gzip", "none").contains(compression)) {
        throw new UsageException("output.compression must be snappy, zstd, gzip or none, got " + compression);
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
          compression);
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
        allowed.append(allowed.length() == 0 ? "" : ", ").append(constant.name().toLowerCase(Locale.ROOT));
      }
      throw new UsageException(key + " must be one of " + allowed + ", got '" + value + "'");
    }
  }

  public LineParser lineParser() {
    return switch (format) {
      case TSV -> new DelimitedLineParser(delimiter, false, columns);
      case CSV -> new DelimitedLineParser(delimiter, true, columns);
      case NTRIPLES -> new NTriplesLineParser(literals);
      case PARQUET -> throw new IllegalStateException("Parquet input is not read line by line");
    };
  }
}
