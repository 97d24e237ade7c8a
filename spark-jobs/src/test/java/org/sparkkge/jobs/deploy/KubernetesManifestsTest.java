package org.sparkkge.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/**
 * deploy/k8s/*.yaml are valid YAML (read with python3-yaml) and agree with the submit script, the
 * image and the CLI: the SparkApplication's arguments parse with the real CLI and its GPU settings
 * are consistent.
 */
class KubernetesManifestsTest {
  /**
   * python3 on the PATH, else Debian's, whichever has PyYAML (apt python3-yaml; bin/test installs
   * it).
   */
  private static String pythonWithYaml() {
    for (String python : List.of("python3", "/usr/bin/python3")) {
      try {
        if (Processes.run(List.of(python, "-c", "import yaml")).exitCode() == 0) {
          return python;
        }
      } catch (IllegalStateException notInstalled) {
        // try the next one
      }
    }
    throw new AssertionError(
        "no python3 with PyYAML: apt-get install python3-yaml (bin/test does it)");
  }

  /** Every document of a YAML file, as JSON. */
  private static List<JsonNode> yaml(String file) throws Exception {
    Processes.Result result =
        Processes.run(
            List.of(
                pythonWithYaml(),
                "-c",
                "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
                Processes.repoRoot().resolve("deploy/k8s/" + file).toString()));
    assertEquals(
        0,
        result.exitCode(),
        () -> "python3 with PyYAML (apt python3-yaml) reads " + file + "\n" + result);
    List<JsonNode> documents = new ArrayList<>();
    new ObjectMapper().readTree(result.out()).forEach(documents::add);
    return documents;
  }

  private static boolean hasEnv(JsonNode env, String name, String value) {
    for (JsonNode variable : env) {
      if (variable.path("name").asText().equals(name)
          && variable.path("value").asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void sparkApplicationRunsTheCliWithConsistentGpuSettings() throws Exception {
    JsonNode app = yaml("spark-application.yaml").get(0);
    assertEquals("sparkoperator.k8s.io/v1beta2", app.get("apiVersion").asText());
    assertEquals("SparkApplication", app.get("kind").asText());
    JsonNode spec = app.get("spec");
    assertEquals("org.sparkkge.jobs.cli.Main", spec.get("mainClass").asText());
    assertEquals(
        "local:///opt/spark-kge/spark-kge-app.jar",
        spec.get("mainApplicationFile").asText(),
        "the image's jar, as submit.sh uses");
    assertEquals("4.1.0", spec.get("sparkVersion").asText());
    assertEquals(
        "Never",
        spec.get("restartPolicy").get("type").asText(),
        "exit codes 1 and 2 must not be retried blindly");

    List<String> args = new ArrayList<>();
    spec.get("arguments").forEach(a -> args.add(a.asText()));
    ParseResult parsed = RealCli.parse(args);
    assertEquals("train", parsed.commandSpec().name());
    assertEquals("/data/runs/fb15k-237/2026-11-26", parsed.matchedOptionValue("--output", null));
    assertTrue(parsed.hasMatchedOption("--resume"));

    JsonNode conf = spec.get("sparkConf");
    JsonNode executor = spec.get("executor");
    assertEquals(
        executor.get("gpu").get("quantity").asInt(),
        conf.get("spark.executor.resource.gpu.amount").asInt());
    assertEquals("nvidia.com/gpu", executor.get("gpu").get("name").asText());
    assertFalse(
        conf.has("spark.task.resource.gpu.amount"),
        "the application requests GPUs for its training tasks only (stage-level scheduling)");
    assertEquals(
        "/opt/spark-kge/bin/discover-gpus.sh",
        conf.get("spark.executor.resource.gpu.discoveryScript").asText());
    assertTrue(hasEnv(executor.get("env"), "PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib"));
    assertTrue(hasEnv(executor.get("env"), "DJL_OFFLINE", "true"));
    assertFalse(
        executor.get("env").toString().contains("PYTORCH_VERSION")
            || executor.get("env").toString().contains("PYTORCH_FLAVOR"));
    assertEquals(
        "kge-data",
        spec.get("volumes").get(0).get("persistentVolumeClaim").get("claimName").asText());
    assertEquals("/data", executor.get("volumeMounts").get(0).get("mountPath").asText());
    assertEquals("/data", spec.get("driver").get("volumeMounts").get(0).get("mountPath").asText());
    assertEquals("spark-kge", spec.get("driver").get("serviceAccount").asText());
  }

  @Test
  void podTemplatesAndRbacMatchTheSubmitScript() throws Exception {
    JsonNode gpu = yaml("executor-pod-gpu.yaml").get(0);
    JsonNode gpuContainer = gpu.get("spec").get("containers").get(0);
    assertEquals("spark-kubernetes-executor", gpuContainer.get("name").asText());
    assertTrue(
        gpuContainer.path("resources").path("limits").path("nvidia.com/gpu").isMissingNode(),
        "the GPU limit comes from spark.executor.resource.gpu.amount, not the template");
    assertEquals("nvidia.com/gpu", gpu.get("spec").get("tolerations").get(0).get("key").asText());
    assertTrue(hasEnv(gpuContainer.get("env"), "PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib"));

    JsonNode cpu = yaml("executor-pod.yaml").get(0);
    assertTrue(cpu.get("spec").path("tolerations").isMissingNode());
    assertEquals(
        "spark-kubernetes-executor", cpu.get("spec").get("containers").get(0).get("name").asText());
    assertEquals(
        "spark-kubernetes-driver",
        yaml("driver-pod.yaml").get(0).get("spec").get("containers").get(0).get("name").asText());

    List<JsonNode> rbac = yaml("rbac.yaml");
    List<String> kinds = rbac.stream().map(d -> d.get("kind").asText()).toList();
    assertEquals(List.of("Namespace", "ServiceAccount", "Role", "RoleBinding"), kinds);
    // the defaults of deploy/k8s/submit.sh: --namespace spark-kge --service-account spark-kge
    assertEquals("spark-kge", rbac.get(0).get("metadata").get("name").asText());
    assertEquals("spark-kge", rbac.get(1).get("metadata").get("name").asText());
    assertTrue(rbac.get(2).get("rules").get(0).get("resources").toString().contains("\"pods\""));
  }
}
