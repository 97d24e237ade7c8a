package org.sparkkge.jobs.io;

import com.typesafe.config.Config;
import org.sparkkge.jobs.config.SecretMasker;

/**
 * What every stage records beside its outputs: the effective configuration (masked on output) and
 * the versions that produced them.
 */
public record RunInfo(Config config, BuildInfo build, String sparkVersion, String javaVersion) {
  public static RunInfo of(Config config, String sparkVersion) {
    return new RunInfo(config, BuildInfo.load(), sparkVersion, System.getProperty("java.version"));
  }

  public String maskedHocon() {
    return SecretMasker.renderHocon(config);
  }

  public String maskedJson() {
    return SecretMasker.renderJson(config);
  }
}
