package org.sparkkge.core.nodepiece;

import ai.djl.Device;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.train.ShardTrainer;
import org.sparkkge.core.train.TrainHooks;

/** NodePiece training: {@link ShardTrainer} with entity rows encoded from each entity's tokens. */
public final class NodePieceTraining {
  private NodePieceTraining() {}

  /** NodePiece training: entity rows come from the encoder applied to each entity's tokens. */
  public static TrainResult train(
      TripleArrays shard,
      ModelParameters start,
      TrainConfig config,
      Device device,
      NodePieceTokens tokens) {
    return train(shard, start, config, device, tokens, TrainHooks.NONE);
  }

  /** NodePiece training, instrumented by {@code hooks}. */
  public static TrainResult train(
      TripleArrays shard,
      ModelParameters start,
      TrainConfig config,
      Device device,
      NodePieceTokens tokens,
      TrainHooks hooks) {
    if (!start.encoded()) {
      throw new IllegalArgumentException("parameters hold no NodePiece encoder weights");
    }
    if (tokens.numEntities() != start.numEntities()) {
      throw new IllegalArgumentException(
          "token table covers "
              + tokens.numEntities()
              + " entities, parameters "
              + start.numEntities());
    }
    return ShardTrainer.train(
        shard,
        start,
        config,
        device,
        manager -> new NodePieceEntities(manager, start, tokens, config.denseLr()),
        hooks);
  }
}
