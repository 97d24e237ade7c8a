package org.sparkkge.jobs.train;

import java.util.List;
import java.util.Map;

/**
 * What one training round produced, before the driver commits it: the merged shared parameters, the
 * task summaries (sorted by shard), and the schedule's own figures for round.json. The round's
 * entity table (shallow mode) is already written to the round's checkpoint directory.
 *
 * @param diverged null, or the first diverged task's summary (the round is then not committed)
 */
public record RoundResult(
    SharedParams shared,
    List<ShardOutput.Summary> summaries,
    ShardOutput.Summary diverged,
    Map<String, Object> details) {}
