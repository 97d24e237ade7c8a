package org.sparkkge.jobs.progress;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Progress a person can follow. Stages announce steps ({@link #step}); a SparkListener counts the
 * tasks of the running Spark stages. On an interactive terminal one status line is redrawn twice a
 * second ("ingest | encoding entities | tasks 7/12 | 3.1 tasks/s | ETA 2s"); otherwise (Airflow
 * logs, files) a timestamped line is printed at most every {@code intervalSeconds} while work runs.
 */
public final class ProgressReporter extends SparkListener implements AutoCloseable {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

  private final PrintStream out;
  private final boolean interactive;
  private final SparkContext sparkContext;
  private final ScheduledExecutorService ticker;
  private final Map<Integer, StageProgress> activeStages = new ConcurrentHashMap<>();
  private final AtomicLong recordsRead = new AtomicLong();
  private volatile String stage = "";
  private volatile String step = "";
  private volatile long stepStartedNanos = System.nanoTime();
  private volatile boolean statusLineShown;

  private static final class StageProgress {
    final int total;
    final AtomicLong done = new AtomicLong();
    final long submittedNanos = System.nanoTime();

    StageProgress(int total) {
      this.total = total;
    }
  }

  public ProgressReporter(
      SparkContext sparkContext, PrintStream out, boolean interactive, long intervalSeconds) {
    this.out = out;
    this.interactive = interactive;
    this.sparkContext = sparkContext;
    sparkContext.addSparkListener(this);
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "spark-kge-progress");
              thread.setDaemon(true);
              return thread;
            });
    long periodMillis = interactive ? 500 : Math.max(1, intervalSeconds) * 1000;
    ticker.scheduleAtFixedRate(this::tick, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** Interactive when a console is attached (not when output goes to a pipe or a log file). */
  public static boolean consoleIsInteractive() {
    return System.console() != null;
  }

  public void stage(String name) {
    this.stage = name;
  }

  /** Announces a step of the current stage; printed at once as a log line. */
  public synchronized void step(String description) {
    this.step = description;
    this.stepStartedNanos = System.nanoTime();
    recordsRead.set(0);
    log(stage + ": " + description);
  }

  /** A plain timestamped line (clears the status line first on a terminal). */
  public synchronized void log(String message) {
    clearStatusLine();
    out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS).format(TIME) + " " + message);
    out.flush();
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    activeStages.put(event.stageInfo().stageId(), new StageProgress(event.stageInfo().numTasks()));
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    activeStages.remove(event.stageInfo().stageId());
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    StageProgress progress = activeStages.get(event.stageId());
    if (progress != null && event.taskInfo().successful()) {
      progress.done.incrementAndGet();
    }
    if (event.taskMetrics() != null) {
      recordsRead.addAndGet(event.taskMetrics().inputMetrics().recordsRead());
    }
  }

  /** The status text, or null when no Spark stage is running. */
  String status() {
    if (activeStages.isEmpty()) {
      return null;
    }
    long total = 0;
    long done = 0;
    long earliest = Long.MAX_VALUE;
    for (StageProgress progress : activeStages.values()) {
      total += progress.total;
      done += progress.done.get();
      earliest = Math.min(earliest, progress.submittedNanos);
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - earliest) / 1e9);
    double rate = done / seconds;
    String eta = rate > 0 ? formatSeconds((total - done) / rate) : "?";
    StringBuilder text = new StringBuilder();
    text.append(stage).append(" | ").append(step);
    text.append(
        String.format(
            Locale.ROOT, " | tasks %d/%d | %.1f tasks/s | ETA %s", done, total, rate, eta));
    long records = recordsRead.get();
    if (records > 0) {
      double stepSeconds = Math.max(1e-3, (System.nanoTime() - stepStartedNanos) / 1e9);
      text.append(
          String.format(
              Locale.ROOT, " | %,d records read (%,.0f/s)", records, records / stepSeconds));
    }
    return text.toString();
  }

  private synchronized void tick() {
    try {
      String status = status();
      if (status == null) {
        return;
      }
      if (interactive) {
        out.print("\r\033[K" + status);
        out.flush();
        statusLineShown = true;
      } else {
        log(status);
      }
    } catch (RuntimeException e) {
      // Progress must never break a run; the next tick tries again.
    }
  }

  private void clearStatusLine() {
    if (interactive && statusLineShown) {
      out.print("\r\033[K");
      statusLineShown = false;
    }
  }

  static String formatSeconds(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }
    return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
  }

  @Override
  public synchronized void close() {
    ticker.shutdownNow();
    sparkContext.removeSparkListener(this);
    clearStatusLine();
    out.flush();
  }
}
