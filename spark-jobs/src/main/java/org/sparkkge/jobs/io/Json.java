package org.sparkkge.jobs.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The one JSON mapper of spark-jobs. Files in the output directory (stats.json, metrics.json,
 * manifest.json, stage markers, round.json, model.json) are written indented, for people to read.
 */
public final class Json {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectWriter COMPACT =
      MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** One line of JSON, for a document that embeds it (report.html). */
  public static String compact(Object value) throws JsonProcessingException {
    return COMPACT.writeValueAsString(value);
  }
}
