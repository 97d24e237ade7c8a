package org.sparkkge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  @Test
  void defaultsAreValidAndMatchTheKeyTable() {
    TrainConfig c = TrainConfig.builder().build();
    assertEquals("complex", c.model());
    assertEquals(200, c.dim());
    assertEquals(TrainConfig.fromMap(Map.of()), c);
    assertEquals(21, TrainConfig.KEYS.size());
    Map<String, String> all = new HashMap<>(TrainConfig.KEYS);
    assertEquals(c, TrainConfig.fromMap(all));
  }

  @Test
  void fromMapAcceptsPrefixedKeysAndNumbers() {
    TrainConfig c =
        TrainConfig.fromMap(
            Map.of(
                "train.model",
                "RotatE",
                "train.dim",
                64,
                "loss",
                "adversarial",
                "train.batch-size",
                "100",
                "chunk-size",
                20,
                "train.lr",
                0.05));
    assertEquals("rotate", c.model());
    assertEquals(64, c.dim());
    assertEquals(100, c.batchSize());
    assertEquals(20, c.chunkSize());
    assertEquals(0.05f, c.lr());
  }

  @Test
  void oneVsAllNeedsTheSoftmaxLossAndAMatrixProductModel() {
    TrainConfig ok =
        TrainConfig.builder()
            .model("complex_reciprocal")
            .sampler("all")
            .negatives(0)
            .batchNegatives(0)
            .build();
    assertEquals(ok.batchSize(), ok.effectiveChunkSize());
    assertTrue(ok.allEntities());
    String margin =
        assertThrows(
                IllegalArgumentException.class,
                () -> TrainConfig.builder().sampler("all").loss("margin").build())
            .getMessage();
    assertTrue(
        margin.contains("train.sampler=all") && margin.contains("train.loss=softmax"), margin);
    String rotate =
        assertThrows(
                IllegalArgumentException.class,
                () -> TrainConfig.builder().model("rotate").dim(64).sampler("all").build())
            .getMessage();
    assertTrue(rotate.contains("matrix product") && rotate.contains("rotate"), rotate);
  }

  @Test
  void softmaxMarginNeedsTheSampledSoftmaxLoss() {
    assertEquals(5f, TrainConfig.fromMap(Map.of("train.softmax-margin", "5")).softmaxMargin());
    String logistic =
        assertThrows(
                IllegalArgumentException.class,
                () -> TrainConfig.builder().loss("logistic").softmaxMargin(5).build())
            .getMessage();
    assertTrue(
        logistic.contains("train.softmax-margin applies to the softmax loss")
            && logistic.contains("logistic"),
        logistic);
    String all =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    TrainConfig.builder()
                        .model("complex_reciprocal")
                        .sampler("all")
                        .softmaxMargin(5)
                        .build())
            .getMessage();
    assertTrue(all.contains("sampler all"), all);
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> TrainConfig.builder().softmaxMargin(-1).build())
            .getMessage()
            .contains("train.softmax-margin must be >= 0"));
  }

  @Test
  void accidentalHitRemovalIsAStrictBoolean() {
    assertTrue(
        TrainConfig.fromMap(Map.of("train.remove-accidental-hits", "TRUE")).removeAccidentalHits());
    assertFalse(
        TrainConfig.fromMap(Map.of("remove-accidental-hits", "false")).removeAccidentalHits());
    String typo =
        assertThrows(
                IllegalArgumentException.class,
                () -> TrainConfig.fromMap(Map.of("train.remove-accidental-hits", "yes")))
            .getMessage();
    assertTrue(
        typo.contains("train.remove-accidental-hits: expected true or false, got 'yes'"), typo);
  }

  @Test
  void badValuesAreReportedTogetherWithKeyNames() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TrainConfig.builder()
                    .model("complex")
                    .dim(7)
                    .lr(-1)
                    .batchSize(100)
                    .chunkSize(30)
                    .loss("hinge")
                    .build());
    String m = e.getMessage();
    assertTrue(m.contains("train.dim: model complex needs an even dim"), m);
    assertTrue(m.contains("train.lr must be a positive number"), m);
    assertTrue(m.contains("train.batch-size (100) must be a multiple of train.chunk-size (30)"), m);
    assertTrue(m.contains("train.loss: unknown 'hinge'"), m);
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> TrainConfig.builder().model("foo").build())
            .getMessage()
            .contains("unknown model 'foo'"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> TrainConfig.fromMap(Map.of("train.speed", 1)))
            .getMessage()
            .contains("unknown key train.speed"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> TrainConfig.fromMap(Map.of("dim", "big")))
            .getMessage()
            .contains("train.dim: not a number: 'big'"));
  }
}
