package org.sparkkge.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Masks secret-looking settings before the configuration is printed or saved. A string value is
 * masked when any segment of its key below the top-level section matches {@link #SECRET_KEY} (so
 * spark.conf."spark.hadoop.fs.s3a.secret.key" is masked). The top-level section is not matched, or
 * a pipeline section such as "tokenize" would hide all its settings; numbers and booleans are never
 * secrets.
 */
public final class SecretMasker {
  public static final Pattern SECRET_KEY =
      Pattern.compile("(?i)(secret|password|passwd|token|key|credential)");
  public static final String MASK = "******";

  private SecretMasker() {}

  public static boolean isSecretPath(String path) {
    List<String> segments = ConfigUtil.splitPath(path);
    for (int i = 1; i < segments.size(); i++) {
      if (SECRET_KEY.matcher(segments.get(i)).find()) {
        return true;
      }
    }
    return false;
  }

  public static Config mask(Config config) {
    Config masked = config;
    for (Map.Entry<String, ConfigValue> entry : config.entrySet()) {
      ConfigValue value = entry.getValue();
      if (value.valueType() == ConfigValueType.STRING
          && !((String) value.unwrapped()).isEmpty()
          && isSecretPath(entry.getKey())) {
        masked = masked.withValue(entry.getKey(), ConfigValueFactory.fromAnyRef(MASK, "masked"));
      }
    }
    return masked;
  }

  /** HOCON text of the masked configuration, for the console and OUTPUT/config.conf. */
  public static String renderHocon(Config config) {
    return mask(config)
        .root()
        .render(
            ConfigRenderOptions.defaults()
                .setOriginComments(false)
                .setComments(false)
                .setJson(false));
  }

  /** JSON text of the masked configuration, for OUTPUT/manifest.json. */
  public static String renderJson(Config config) {
    return mask(config).root().render(ConfigRenderOptions.concise());
  }
}
