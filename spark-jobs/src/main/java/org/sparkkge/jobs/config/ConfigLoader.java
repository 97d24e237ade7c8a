package org.sparkkge.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkkge.jobs.UsageException;

/**
 * Builds the effective configuration: the bundled defaults (conf/spark-kge.conf, packed into the
 * jar as the resource {@value #DEFAULTS_RESOURCE}) under an optional --config file under --set
 * overrides. Keys not defined in the defaults are rejected so a typo never goes unnoticed; only the
 * open maps in {@link #OPEN_MAPS} accept arbitrary keys.
 */
public final class ConfigLoader {
  public static final String DEFAULTS_RESOURCE = "spark-kge.conf";

  /** Sections whose keys are free-form pass-through settings. */
  public static final List<String> OPEN_MAPS = List.of("spark.conf");

  private ConfigLoader() {}

  public static Config defaults() {
    Config defaults =
        ConfigFactory.parseResources(
            ConfigLoader.class.getClassLoader(),
            DEFAULTS_RESOURCE,
            ConfigParseOptions.defaults().setAllowMissing(false));
    return defaults.resolve();
  }

  /**
   * @param configFile optional user configuration file (HOCON), may be null
   * @param overrides "KEY=VALUE" strings, applied in order (later wins)
   */
  public static Config load(File configFile, List<String> overrides) {
    Config defaults = defaults();
    Config user = ConfigFactory.empty();
    if (configFile != null) {
      if (!configFile.isFile()) {
        throw new UsageException("configuration file not found: " + configFile);
      }
      try {
        user =
            ConfigFactory.parseFile(
                configFile, ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new UsageException(
            "cannot read configuration file " + configFile + ": " + e.getMessage(), e);
      }
      checkKnownKeys(user, defaults, configFile.toString());
    }
    for (String override : overrides) {
      Config single = parseOverride(override);
      checkKnownKeys(single, defaults, "--set " + override);
      user = single.withFallback(user);
    }
    try {
      return user.withFallback(defaults).resolve();
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage(), e);
    }
  }

  /**
   * Parses one --set KEY=VALUE. Values that start like HOCON structures ([...], {...}, "...") are
   * parsed as HOCON; anything else is taken literally as a string, so paths such as hdfs://host/x
   * (where HOCON would read // as a comment) survive unchanged. Typesafe Config converts strings to
   * numbers and booleans on access.
   */
  static Config parseOverride(String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new UsageException("--set expects KEY=VALUE, got '" + override + "'");
    }
    String key = override.substring(0, eq).trim();
    String value = override.substring(eq + 1).trim();
    try {
      ConfigValue parsed;
      if (value.startsWith("[") || value.startsWith("{") || value.startsWith("\"")) {
        parsed = ConfigFactory.parseString("v = " + value).getValue("v");
      } else {
        parsed = ConfigValueFactory.fromAnyRef(value, "--set " + key);
      }
      return ConfigFactory.empty().withValue(key, parsed);
    } catch (ConfigException e) {
      throw new UsageException("cannot parse --set " + override + ": " + e.getMessage(), e);
    }
  }

  private static void checkKnownKeys(Config user, Config defaults, String source) {
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
      String path = entry.getKey();
      if (OPEN_MAPS.stream().anyMatch(open -> path.startsWith(open + "."))) {
        continue;
      }
      if (!defaults.hasPathOrNull(path)) {
        unknown.add(path);
      }
    }
    if (!unknown.isEmpty()) {
      throw new UsageException(
          "unknown configuration key"
              + (unknown.size() > 1 ? "s " : " ")
              + String.join(", ", unknown)
              + " in "
              + source
              + " (every key is documented in conf/spark-kge.conf)");
    }
  }
}
