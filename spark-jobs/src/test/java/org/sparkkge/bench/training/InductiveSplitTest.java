package org.sparkkge.bench.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.Cli;

/**
 * The inductive split of UMLS: held-out entities never reach train, valid or test; every triple of
 * support and test-new touches one; every triple of the graph lands in exactly one file or is
 * counted as dropped; the same seed draws the same entities.
 */
class InductiveSplitTest {
  @Test
  void heldOutEntitiesLeaveTrainingWithAllTheirTriplesAndComeBackInSupportAndTestNew()
      throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    List<InductiveSplit.Triple> train = InductiveSplit.read(data.resolve("train.txt.gz"));
    List<InductiveSplit.Triple> valid = InductiveSplit.read(data.resolve("valid.txt.gz"));
    List<InductiveSplit.Triple> test = InductiveSplit.read(data.resolve("test.txt.gz"));
    InductiveSplit.Split split = InductiveSplit.split(train, valid, test, 0.1, 1);
    Set<String> held = split.heldOut();
    assertTrue(held.size() >= 13, "10 % of UMLS's 135 entities, plus orphans: " + held.size());
    Set<String> known = new HashSet<>();
    for (InductiveSplit.Triple t : split.train()) {
      assertTrue(!held.contains(t.head()) && !held.contains(t.tail()), t.line());
      known.add(t.head());
      known.add(t.tail());
    }
    assertEquals(135 - held.size(), known.size(), "every other entity keeps a training triple");
    for (List<InductiveSplit.Triple> transductive : List.of(split.valid(), split.test())) {
      for (InductiveSplit.Triple t : transductive) {
        assertTrue(known.contains(t.head()) && known.contains(t.tail()), t.line());
      }
    }
    for (List<InductiveSplit.Triple> inductive : List.of(split.support(), split.testNew())) {
      assertTrue(!inductive.isEmpty());
      for (InductiveSplit.Triple t : inductive) {
        assertTrue(held.contains(t.head()) || held.contains(t.tail()), t.line());
      }
    }
    int dropped =
        ((Number) split.counts().get("train_dropped")).intValue()
            + ((Number) split.counts().get("valid_dropped")).intValue()
            + ((Number) split.counts().get("test_dropped")).intValue();
    assertEquals(
        train.size() + valid.size() + test.size(),
        split.train().size()
            + split.valid().size()
            + split.test().size()
            + split.support().size()
            + split.testNew().size()
            + dropped,
        "each triple in one file, or dropped");
    Set<String> relations = new HashSet<>();
    Set<String> trainEntities = new HashSet<>();
    for (InductiveSplit.Triple t : split.train()) relations.add(t.relation());
    for (InductiveSplit.Triple t : train) {
      trainEntities.add(t.head());
      trainEntities.add(t.tail());
    }
    int unrankable = 0;
    for (List<InductiveSplit.Triple> part : List.of(train, valid, test)) {
      for (InductiveSplit.Triple t : part) {
        if (!relations.contains(t.relation())
            || !trainEntities.contains(t.head())
            || !trainEntities.contains(t.tail())) unrankable++;
      }
    }
    assertEquals(
        unrankable,
        dropped,
        "dropped: the triples of relations seen only with held-out entities, and of entities not in train");
    assertTrue(dropped > 0 && relations.size() < 46, relations.size() + " relations kept");
    assertEquals(held, InductiveSplit.split(train, valid, test, 0.1, 1).heldOut());
    assertNotEquals(held, InductiveSplit.split(train, valid, test, 0.1, 2).heldOut());
  }
}
