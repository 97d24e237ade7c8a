package org.sparkkge.jobs.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches the driver's log of a train run and, once round 2 has started, kills (SIGKILL) the
 * executor JVM running a task of one of the round's sub-round training jobs, 40 % into the time the
 * shortest such task took in the previous round. If the task ended before the kill, it tries again
 * in the next training job. The executor's JVM is found by its Spark executor id, by the cluster
 * manager's own means (a standalone worker's children, a YARN container's process).
 */
final class KillDuringTraining implements ExecutorKill {
  private static final Pattern ROUND = Pattern.compile("train: round (\\d+) of (\\d+)");
  // The job of a training sub-round: a StratifiedRounds job with one partition per task (P = 2).
  private static final Pattern TRAIN_JOB =
      Pattern.compile(
          "Got job (\\d+) \\((collect at StratifiedRounds\\.java:\\d+)\\) with 2 output partitions");
  private static final Pattern FINAL_STAGE = Pattern.compile("Final stage: ResultStage (\\d+) ");
  private static final Pattern STARTED =
      Pattern.compile(
          "Starting task \\S+ in stage (\\d+)\\.\\d+ \\(TID (\\d+)\\) \\([^,]*,\\s*executor (\\S+?),");
  private static final Pattern FINISHED =
      Pattern.compile("Finished task \\S+ in stage (\\d+)\\.\\d+ \\(TID (\\d+)\\) in (\\d+) ms");
  private static final Pattern LOST =
      Pattern.compile("Lost task \\S+ in stage (\\d+)\\.\\d+ \\(TID (\\d+)\\)");

  private final SparkSubmitDriver driver;
  private final Function<String, Optional<ProcessHandle>> executors;
  private int round;
  private boolean expectFinalStage;
  private String trainJobCallSite;
  private final Set<String> trainingStages = new HashSet<>();
  private final Map<Integer, Long> shortestTaskMillisByRound = new HashMap<>();
  private final Map<String, String[]> running =
      new LinkedHashMap<>(); // tid -> {stage, executor, startNanos}
  private String killedTid;
  private String killedExecutor;
  private int killedInRound;
  private String killedInStage;
  private long killDelayMillis;
  private boolean landed;
  private final List<String> attempts = new ArrayList<>();

  /** {@code executors}: the live JVM of a Spark executor id, if there is one. */
  KillDuringTraining(
      SparkSubmitDriver driver, Function<String, Optional<ProcessHandle>> executors) {
    this.driver = driver;
    this.executors = executors;
  }

  /** Returns when the kill landed or the driver ended. */
  @Override
  public void watch(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (driver.isAlive() && System.nanoTime() < deadline && !landed) {
      for (String line : driver.newLines()) {
        read(line);
      }
      maybeKill();
      Thread.sleep(25);
    }
    for (String line : driver.newLines()) {
      read(line);
    }
  }

  private void read(String line) {
    Matcher m;
    if ((m = ROUND.matcher(line)).find()) {
      round = Integer.parseInt(m.group(1));
    } else if ((m = TRAIN_JOB.matcher(line)).find() && round >= 1) {
      expectFinalStage = true;
      trainJobCallSite = m.group(2);
    } else if (expectFinalStage && (m = FINAL_STAGE.matcher(line)).find()) {
      expectFinalStage = false;
      trainingStages.add(m.group(1));
    } else if ((m = STARTED.matcher(line)).find() && trainingStages.contains(m.group(1))) {
      running.put(
          m.group(2), new String[] {m.group(1), m.group(3), String.valueOf(System.nanoTime())});
    } else if ((m = FINISHED.matcher(line)).find() && running.remove(m.group(2)) != null) {
      shortestTaskMillisByRound.merge(round, Long.parseLong(m.group(3)), Math::min);
      if (m.group(2).equals(killedTid)) {
        attempts.add(
            "round "
                + killedInRound
                + ": task "
                + killedTid
                + " finished before the kill took effect");
        killedTid = null;
      }
    } else if ((m = LOST.matcher(line)).find()) {
      running.remove(m.group(2));
      if (m.group(2).equals(killedTid) && trainingStages.contains(m.group(1))) {
        landed = true;
        attempts.add(
            "round "
                + killedInRound
                + ": task "
                + killedTid
                + " ("
                + trainJobCallSite
                + ", stage "
                + m.group(1)
                + ") lost with executor "
                + killedExecutor
                + " after "
                + killDelayMillis
                + " ms: "
                + line.trim());
      }
    }
  }

  private void maybeKill() {
    Long previous = shortestTaskMillisByRound.get(round - 1);
    if (killedTid != null || round < 2 || previous == null) {
      return;
    }
    killDelayMillis = Math.max(200, (long) (0.4 * previous));
    for (Map.Entry<String, String[]> task : running.entrySet()) {
      long runningMillis = (System.nanoTime() - Long.parseLong(task.getValue()[2])) / 1_000_000;
      if (runningMillis < killDelayMillis || task.getValue()[0].equals(killedInStage)) {
        continue;
      }
      Optional<ProcessHandle> executor = executors.apply(task.getValue()[1]);
      if (executor.isEmpty()) {
        continue;
      }
      killedTid = task.getKey();
      killedExecutor = task.getValue()[1] + " (pid " + executor.get().pid() + ")";
      killedInRound = round;
      killedInStage = task.getValue()[0];
      executor.get().destroyForcibly(); // SIGKILL: no shutdown hooks, the task dies mid-computation
      return;
    }
  }

  @Override
  public boolean landed() {
    return landed;
  }

  @Override
  public String summary() {
    return "training stages "
        + trainingStages
        + ", shortest training task per round "
        + shortestTaskMillisByRound
        + " ms; "
        + (attempts.isEmpty()
            ? "no kill attempted (round reached: " + round + ")"
            : String.join("; ", attempts));
  }
}
