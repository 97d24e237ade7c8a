package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

/**
 * A bounded sample of entity rows from every partition of the stratified schedule. A task owns only
 * 2/B of the entities: with negatives from those alone, an entity would be pushed away only from
 * the queries of its own buckets, and a model would learn to rank each query against a few
 * partitions. The pool's rows join every task's table as extra negative candidates; what a task's
 * steps change in them goes back to their owners as a {@link ShardOutput.PoolDelta}, added after
 * the sub-round (one sub-round late, like a delayed gradient), while owned rows are updated
 * exactly. Refreshed after every sub-round.
 *
 * @param ids entity ids, each at most once
 * @param values row i at {@code values[i * dim .. + dim)}
 * @param adagrad row i's Adagrad accumulator, so a task steps pool rows as their owner would
 */
public record NegativePool(int dim, int[] ids, float[] values, float[] adagrad)
    implements Serializable {
  public static final NegativePool EMPTY =
      new NegativePool(0, new int[0], new float[0], new float[0]);

  public int rows() {
    return ids.length;
  }

  /**
   * Up to {@code count} rows of {@code block}, chosen by {@code seed} (the same on a retried task),
   * as a pool fragment.
   */
  public static NegativePool sample(EntityBlock block, int count, long seed) {
    int n = block.rows();
    int k = Math.min(count, n);
    int[] chosen;
    if (k == n) {
      chosen = new int[n];
      for (int i = 0; i < n; i++) chosen[i] = i;
    } else {
      // Floyd's algorithm: k distinct rows in O(k)
      HashSet<Integer> picked = new HashSet<>(k * 2);
      Random random = new Random(seed);
      for (int j = n - k; j < n; j++) {
        int t = random.nextInt(j + 1);
        picked.add(picked.contains(t) ? j : t);
      }
      chosen = picked.stream().mapToInt(Integer::intValue).sorted().toArray();
    }
    int dim = block.dim();
    int[] ids = new int[k];
    float[] values = new float[EntityBlock.floats(k, dim, "negative pool sample")];
    float[] adagrad = new float[k];
    for (int i = 0; i < k; i++) {
      ids[i] = block.ids()[chosen[i]];
      block.copyRow(chosen[i], values, i * dim);
      adagrad[i] = block.adagrad(chosen[i]);
    }
    return new NegativePool(dim, ids, values, adagrad);
  }

  /**
   * The fragments joined in the order given (callers sort them, so the pool does not depend on
   * timing).
   */
  public static NegativePool join(List<NegativePool> fragments) {
    List<NegativePool> nonEmpty = new ArrayList<>();
    int rows = 0;
    int dim = 0;
    for (NegativePool f : fragments) {
      if (f.rows() > 0) {
        nonEmpty.add(f);
        rows += f.rows();
        dim = f.dim();
      }
    }
    int[] ids = new int[rows];
    float[] values = new float[EntityBlock.floats(rows, dim, "negative pool")];
    float[] adagrad = new float[rows];
    int at = 0;
    for (NegativePool f : nonEmpty) {
      System.arraycopy(f.ids(), 0, ids, at, f.rows());
      System.arraycopy(f.values(), 0, values, at * dim, f.rows() * dim);
      System.arraycopy(f.adagrad(), 0, adagrad, at, f.rows());
      at += f.rows();
    }
    return new NegativePool(dim, ids, values, adagrad);
  }

  @java.io.Serial
  private Object writeReplace() {
    return new BulkArrays.NegativePoolForm(this);
  }

  @Override
  public String toString() {
    return "NegativePool["
        + ids.length
        + " rows, dim "
        + dim
        + ", ids "
        + Arrays.toString(Arrays.copyOf(ids, Math.min(5, ids.length)))
        + "...]";
  }
}
