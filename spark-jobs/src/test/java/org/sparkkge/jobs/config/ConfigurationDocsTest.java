package org.sparkkge.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.Cli;

/**
 * docs/configuration.md's key tables and conf/spark-kge.conf (the defaults) name the same keys: a
 * key added to one without the other fails here. In the docs a row may abbreviate keys that share a
 * prefix ("`tokenize.mix.degree` / `.pagerank`", "`ingest.parquet.head-column` /
 * `relation-column`").
 */
class ConfigurationDocsTest {
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  /** Sections whose values are free-form maps, documented as one key. */
  private static final Set<String> MAPS = Set.of("spark.conf");

  static Set<String> defaultKeys() {
    Config defaults = ConfigLoader.defaults();
    Set<String> keys = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) {
      String key = e.getKey();
      keys.add(MAPS.stream().filter(m -> key.startsWith(m + ".")).findFirst().orElse(key));
    }
    keys.addAll(MAPS);
    return keys;
  }

  static Set<String> documentedKeys() throws IOException {
    Set<String> keys = new TreeSet<>();
    Set<String> sections = new TreeSet<>();
    for (String key : defaultKeys()) {
      sections.add(key.substring(0, key.indexOf('.')));
    }
    boolean sparkSettings = false; // the table of Spark's own settings names no spark-kge key
    for (String line : Files.readAllLines(Cli.repoRoot().resolve("docs/configuration.md"))) {
      if (line.startsWith("| Spark setting")) {
        sparkSettings = true;
      } else if (!line.startsWith("|")) {
        sparkSettings = false;
      }
      if (sparkSettings || !line.startsWith("| `")) {
        continue;
      }
      String firstCell = line.substring(1, line.indexOf('|', 1));
      Matcher m = CODE.matcher(firstCell);
      String previous = null;
      while (m.find()) {
        String token = m.group(1);
        String key;
        if (previous != null && (token.startsWith(".") || !token.contains("."))) {
          String stem = previous.substring(0, previous.lastIndexOf('.'));
          key = stem + (token.startsWith(".") ? token : "." + token);
        } else {
          key = token;
        }
        if (sections.contains(key.contains(".") ? key.substring(0, key.indexOf('.')) : key)) {
          keys.add(key);
          previous = key;
        }
      }
    }
    return keys;
  }

  @Test
  void docsAndDefaultsNameTheSameKeys() throws IOException {
    Set<String> defaults = defaultKeys();
    Set<String> documented = documentedKeys();
    assertTrue(defaults.size() > 60, defaults.toString());
    Set<String> undocumented = new TreeSet<>(defaults);
    undocumented.removeAll(documented);
    Set<String> unknown = new TreeSet<>(documented);
    unknown.removeAll(defaults);
    assertEquals(
        Set.of(), undocumented, "keys of conf/spark-kge.conf missing from docs/configuration.md");
    assertEquals(
        Set.of(),
        unknown,
        "keys in docs/configuration.md that conf/spark-kge.conf does not define");
  }
}
