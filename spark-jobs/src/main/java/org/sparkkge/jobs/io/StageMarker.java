package org.sparkkge.jobs.io;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Content of OUTPUT/_stages/STAGE.json and of the stage's entry in OUTPUT/manifest.json. */
public record StageMarker(
    String stage, Instant started, Instant finished, Map<String, Object> counts) {
  public double seconds() {
    return Duration.between(started, finished).toMillis() / 1000.0;
  }

  public Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("stage", stage);
    json.put("started", started.toString());
    json.put("finished", finished.toString());
    json.put("seconds", seconds());
    json.put("counts", counts);
    return json;
  }
}
