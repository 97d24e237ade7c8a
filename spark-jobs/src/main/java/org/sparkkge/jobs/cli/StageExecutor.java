package org.sparkkge.jobs.cli;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.config.SecretMasker;
import org.sparkkge.jobs.io.HadoopPaths;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.progress.ProgressReporter;
import org.sparkkge.jobs.progress.Streams;
import org.sparkkge.jobs.query.RunReport;
import org.sparkkge.jobs.spark.SparkSessions;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.jobs.stage.StagePreconditions;

/**
 * Runs stages for one command: configuration, Spark session, output directory, progress, and the
 * exit code (0 success, 1 failure, 2 usage or configuration error).
 */
final class StageExecutor {
  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

  private final Streams streams;

  StageExecutor(Streams streams) {
    this.streams = streams;
  }

  int execute(List<Stage> stages, CommonOptions common, List<String> inputOverrides) {
    Config config;
    try {
      List<String> overrides = new ArrayList<>(common.overrides);
      overrides.addAll(inputOverrides);
      if (common.resume) {
        overrides.add("train.resume=true");
      }
      config = ConfigLoader.load(common.config, overrides);
      for (Stage stage : stages) {
        stage.validate(config);
      }
    } catch (UsageException e) {
      streams.err().println("spark-kge: " + e.getMessage());
      return USAGE;
    }
    streams.out().println("# effective configuration (secret-looking values masked)");
    streams.out().println(SecretMasker.renderHocon(config));
    streams.out().flush();

    String current = stages.get(0).name();
    long intervalSeconds = config.getLong("progress.log-interval-seconds");
    try (SparkSessions.Handle session = SparkSessions.open(config, common.master);
        ProgressReporter progress =
            new ProgressReporter(
                session.spark().sparkContext(),
                streams.err(),
                ProgressReporter.consoleIsInteractive(),
                intervalSeconds)) {
      OutputDirectory output =
          OutputDirectory.at(common.output, session.spark().sparkContext().hadoopConfiguration());
      progress.log(
          "spark-kge: Spark "
              + session.spark().version()
              + ", master "
              + session.spark().sparkContext().master()
              + ", output "
              + HadoopPaths.display(output.path()));
      for (Stage stage : stages) {
        current = stage.name();
        if (common.resume
            && stages.size() > 1
            && !current.equals(Layout.TRAIN)
            && output.isStageComplete(current)) {
          // run --resume: stages that completed before the interruption are kept as they are
          progress.log(current + ": complete, kept (--resume)");
          continue;
        }
        progress.stage(current);
        long started = System.nanoTime();
        progress.log(current + ": started");
        StagePreconditions.check(stage, config, output, common.overwrite);
        stage.run(
            new StageContext(
                current,
                session.spark(),
                config,
                output,
                common.overwrite,
                progress,
                streams.out(),
                stage.produces(config)));
        progress.log(
            String.format(
                Locale.ROOT, "%s: done in %.1f s", current, (System.nanoTime() - started) / 1e9));
      }
      if (stages.size() > 1) {
        // The whole pipeline ran: its report covers every stage (single stages leave it to `run`
        // or to the scheduler's last task, see deploy/airflow).
        current = "report";
        progress.log(
            "report: "
                + RunReport.write(
                    common.output, session.spark().sparkContext().hadoopConfiguration()));
      }
      return OK;
    } catch (UsageException e) {
      streams.err().println("spark-kge: " + e.getMessage());
      return USAGE;
    } catch (PipelineException e) {
      streams.err().println(e.getMessage());
      return FAILURE;
    } catch (Exception e) {
      streams.err().println("spark-kge: " + current + " failed: " + e);
      e.printStackTrace(streams.err());
      return FAILURE;
    } finally {
      streams.out().flush();
      streams.err().flush();
    }
  }
}
