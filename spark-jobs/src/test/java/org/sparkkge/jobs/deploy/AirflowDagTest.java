package org.sparkkge.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/**
 * deploy/airflow/spark_kge_dag.py, without Airflow: it compiles, a harness with stub airflow
 * modules lists its tasks, and every command line it would submit parses with the real CLI.
 */
class AirflowDagTest {
  private static final Path ROOT = Processes.repoRoot();
  private static final String DAG = ROOT.resolve("deploy/airflow/spark_kge_dag.py").toString();
  private static final String HARNESS =
      ROOT.resolve("deploy/airflow/tests/dag_harness.py").toString();
  private static final List<String> STAGES =
      List.of("ingest", "reduce", "tokenize", "partition", "train", "export", "evaluate");
  private static final String RUN_DATE = "2026-11-26";

  private static JsonNode harness(String mode, Map<String, String> env) throws Exception {
    Processes.Result result = Processes.run(List.of("python3", HARNESS, mode), env);
    assertEquals(0, result.exitCode(), result::toString);
    return new ObjectMapper().readTree(result.out());
  }

  /**
   * Parses args (run date filled in) with Main's CommandLine; false when the stage is not
   * registered yet.
   */
  private static boolean parsesWithTheRealCli(List<String> args, String stage) throws Exception {
    if (!RealCli.registered(stage)) {
      // not registered yet by its helper: check the documented command shape with the CLI's options
      assertEquals(
          expectedOutput(),
          RealCli.parseDocumentedShape(args).matchedOptionValue("--output", null));
      return false;
    }
    ParseResult parsed = RealCli.parse(args); // parse only: nothing runs
    assertEquals(stage, parsed.commandSpec().name());
    assertEquals(expectedOutput(), parsed.matchedOptionValue("--output", null));
    assertTrue(
        parsed.hasMatchedOption("--overwrite"),
        "every stage that runs may replace its incomplete leftovers");
    return true;
  }

  private static String expectedOutput() {
    return "hdfs:///kge/runs/fb15k-237/" + RUN_DATE;
  }

  private static List<String> render(JsonNode array) {
    List<String> words = new ArrayList<>();
    array.forEach(word -> words.add(word.asText().replace("{{ ds }}", RUN_DATE)));
    return words;
  }

  @Test
  void dagFileCompiles() {
    Processes.Result result =
        Processes.run(
            List.of(
                "python3",
                "-c",
                "import sys; compile(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1], 'exec')",
                DAG));
    assertEquals(0, result.exitCode(), result::toString);
  }

  @Test
  void sparkSubmitTasksRunTheStagesInOrderAndTheirCommandLinesParse() throws Exception {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "SPARK_KGE_OUTPUT_ROOT", "hdfs:///kge/runs/fb15k-237/",
                "SPARK_KGE_CONFIG", "/etc/kge/fb15k-237.conf",
                "SPARK_KGE_TRAIN", "hdfs:///raw/fb15k-237/train.txt.gz",
                "SPARK_KGE_GPUS_PER_EXECUTOR", "2"));
    JsonNode dag = harness("describe", env);

    List<String> taskIds = new ArrayList<>();
    dag.get("tasks").forEach(task -> taskIds.add(task.get("task_id").asText()));
    List<String> withReport = new ArrayList<>(STAGES);
    withReport.add("report");
    assertEquals(withReport, taskIds);
    List<List<String>> edges = new ArrayList<>();
    dag.get("edges")
        .forEach(edge -> edges.add(List.of(edge.get(0).asText(), edge.get(1).asText())));
    List<List<String>> chain = new ArrayList<>();
    for (int i = 1; i < withReport.size(); i++) {
      chain.add(List.of(withReport.get(i - 1), withReport.get(i)));
    }
    assertEquals(chain, edges);

    JsonNode report = dag.get("tasks").get(STAGES.size());
    assertEquals("org.sparkkge.jobs.query.RunReport", report.get("java_class").asText());
    assertEquals(List.of(expectedOutput()), render(report.get("application_args")));
    assertEquals("client", report.get("conf").get("spark.submit.deployMode").asText());

    TreeSet<String> parsedForReal = new TreeSet<>();
    for (JsonNode task : dag.get("tasks")) {
      String stage = task.get("task_id").asText();
      if (stage.equals("report")) {
        continue;
      }
      assertEquals("SparkSubmitOperator", task.get("operator").asText());
      assertEquals("org.sparkkge.jobs.cli.Main", task.get("java_class").asText());
      assertEquals("/opt/spark-kge/spark-kge-app.jar", task.get("application").asText());
      assertEquals(3, task.get("retries").asInt());
      assertTrue(task.get("retry_exponential_backoff").asBoolean());
      assertEquals(
          "none_failed",
          task.get("trigger_rule").asText(),
          "a skipped (complete) stage must not skip the next");
      assertEquals("hdfs:///kge/runs/fb15k-237/{{ ds }}", task.get("output_dir").asText());
      List<String> args = render(task.get("application_args"));
      List<String> expected =
          new ArrayList<>(
              List.of(
                  stage,
                  "--config",
                  "/etc/kge/fb15k-237.conf",
                  "--output",
                  expectedOutput(),
                  "--overwrite"));
      if (stage.equals("ingest")) {
        expected.addAll(List.of("--train", "hdfs:///raw/fb15k-237/train.txt.gz"));
      }
      if (stage.equals("train")) {
        expected.add("--resume");
      }
      assertEquals(expected, args);
      if (parsesWithTheRealCli(args, stage)) {
        parsedForReal.add(stage);
      }
      JsonNode conf = task.get("conf");
      assertEquals("client", conf.get("spark.submit.deployMode").asText());
      assertEquals("1", conf.get("spark.yarn.maxAppAttempts").asText());
      assertEquals("-Dai.djl.offline=true", conf.get("spark.executor.extraJavaOptions").asText());
      boolean gpu = stage.equals("train");
      assertEquals(
          gpu,
          conf.has("spark.executor.resource.gpu.amount"),
          stage + ": only train asks for GPUs");
      if (gpu) {
        assertEquals("2", conf.get("spark.executor.resource.gpu.amount").asText());
        assertFalse(
            conf.has("spark.task.resource.gpu.amount"),
            "the application requests GPUs for its training tasks only (stage-level scheduling)");
        assertEquals(
            "/opt/spark-kge/bin/discover-gpus.sh",
            conf.get("spark.executor.resource.gpu.discoveryScript").asText());
        assertEquals(
            "/opt/libtorch/lib", conf.get("spark.executorEnv.PYTORCH_LIBRARY_PATH").asText());
        assertEquals("/opt/spark-kge/bin/discover-gpus.sh", task.get("files").asText());
      }
      conf.fieldNames()
          .forEachRemaining(
              key ->
                  assertTrue(!key.contains("PYTORCH_VERSION") && !key.contains("PYTORCH_FLAVOR")));
    }
    System.out.println(
        "AirflowDagTest: parsed by the real CLI: "
            + parsedForReal
            + "; checked against the documented shape: "
            + STAGES.stream().filter(s -> !parsedForReal.contains(s)).toList());
    assertTrue(
        parsedForReal.containsAll(List.of("ingest", "reduce", "tokenize", "partition", "train")),
        parsedForReal::toString);
  }

  @Test
  void kubernetesPodVariantRunsTheDriverInThePodWithTheSameStageArguments() throws Exception {
    JsonNode dag =
        harness(
            "describe",
            Map.of(
                "SPARK_KGE_EXECUTOR", "kubernetes-pod",
                "SPARK_KGE_OUTPUT_ROOT", "hdfs:///kge/runs/fb15k-237",
                "SPARK_KGE_IMAGE", "reg/spark-kge:0.1.0-gpu",
                "SPARK_KGE_GPUS_PER_EXECUTOR", "1",
                "SPARK_KGE_DATA_CLAIM", "kge-data"));
    List<String> taskIds = new ArrayList<>();
    for (JsonNode task : dag.get("tasks")) {
      String stage = task.get("task_id").asText();
      if (stage.equals("report")) {
        assertEquals(
            List.of(
                "-cp",
                "/opt/spark-kge/spark-kge-app.jar:/opt/spark/jars/*",
                "org.sparkkge.jobs.query.RunReport",
                "hdfs:///kge/runs/fb15k-237/" + RUN_DATE),
            render(task.get("arguments")));
        continue;
      }
      taskIds.add(stage);
      assertEquals("KubernetesPodOperator", task.get("operator").asText());
      assertEquals("[\"/opt/spark/bin/spark-submit\"]", task.get("cmds").toString());
      List<String> arguments = render(task.get("arguments"));
      int jar = arguments.indexOf("/opt/spark-kge/spark-kge-app.jar");
      assertTrue(jar > 0, arguments::toString);
      List<String> submit = arguments.subList(0, jar);
      assertEquals(
          List.of(
              "--master",
              "k8s://https://kubernetes.default.svc",
              "--deploy-mode",
              "client",
              "--class",
              "org.sparkkge.jobs.cli.Main"),
          submit.subList(0, 6));
      assertTrue(
          submit.contains("spark.driver.host=$(POD_IP)")
              && submit.contains("spark.kubernetes.container.image=reg/spark-kge:0.1.0-gpu"));
      assertTrue(
          submit.contains(
              "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName=kge-data"));
      String template =
          "spark.kubernetes.executor.podTemplateFile=/opt/spark-kge/k8s/"
              + (stage.equals("train") ? "executor-pod-gpu.yaml" : "executor-pod.yaml");
      assertTrue(submit.contains(template), () -> stage + ": " + submit);
      assertEquals(stage.equals("train"), submit.contains("spark.executor.resource.gpu.amount=1"));
      parsesWithTheRealCli(arguments.subList(jar + 1, arguments.size()), stage);
    }
    assertEquals(STAGES, taskIds);
  }

  @Test
  void completedStagesAreSkippedAndOnlyTransientFailuresRetried() throws Exception {
    JsonNode client = harness("behaviour", Map.of()).get("results");
    for (String stage : STAGES) {
      JsonNode r = client.get(stage);
      assertEquals("skipped", r.get("complete_output").asText(), stage);
      assertEquals("submitted", r.get("fresh_output").asText(), stage);
      assertEquals(
          "failed-no-retry",
          r.get("exit_1_client").asText(),
          stage + ": exit 1 = bad input, a rerun fails again");
      assertEquals(
          "failed-no-retry",
          r.get("exit_2_client").asText(),
          stage + ": exit 2 = usage/configuration error");
      assertEquals(
          "failed-retry",
          r.get("exit_137_client").asText(),
          stage + ": killed driver is transient");
      assertEquals("failed-no-retry", r.get("k8s_driver_exit_2").asText(), stage);
      assertEquals("failed-retry", r.get("k8s_driver_exit_143").asText(), stage);
      assertEquals("failed-no-retry", r.get("yarn_user_exit_1").asText(), stage);
    }
    assertEquals(
        "submitted",
        client.get("ingest").get("marker_without_success").asText(),
        "ingest is complete only with _SUCCESS");
    assertEquals("submitted", client.get("reduce").get("ingest_marker_only").asText());

    // YARN cluster mode: spark-submit's own exit code 1 says nothing about the CLI's, so it is
    // retried
    JsonNode cluster =
        harness("behaviour", Map.of("SPARK_KGE_DEPLOY_MODE", "cluster")).get("results");
    for (String stage : STAGES) {
      assertEquals("failed-retry", cluster.get(stage).get("exit_1_client").asText(), stage);
      assertEquals("failed-no-retry", cluster.get(stage).get("yarn_user_exit_1").asText(), stage);
    }
  }

  @Test
  void badSettingsStopTheDagFromLoading() {
    Processes.Result result =
        Processes.run(
            List.of("python3", HARNESS, "describe"), Map.of("SPARK_KGE_DEPLOY_MODE", "local"));
    assertTrue(
        result.exitCode() != 0
            && result
                .err()
                .contains("SPARK_KGE_DEPLOY_MODE must be client or cluster, got 'local'"),
        result::toString);
  }
}
