package org.sparkkge.jobs.cli;

import org.sparkkge.jobs.io.BuildInfo;
import picocli.CommandLine.IVersionProvider;

final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    BuildInfo build = BuildInfo.load();
    return new String[] {
      "spark-kge "
          + build.version()
          + " (git "
          + build.gitRevision()
          + ", built against Spark "
          + build.builtAgainstSpark()
          + ")"
    };
  }
}
