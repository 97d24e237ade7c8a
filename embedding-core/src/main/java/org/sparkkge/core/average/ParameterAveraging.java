package org.sparkkge.core.average;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkkge.core.DenseTensor;

/**
 * The merge math of parameters that several training tasks share (relations, the NodePiece
 * encoder): averaged over the tasks, weighted by triples trained (Dist-KGE style). Entity rows are
 * never averaged: in the stratified schedule each has one owner at a time.
 */
public final class ParameterAveraging {
  private ParameterAveraging() {}

  public static SharedSnapshot averageShared(List<SharedSnapshot> shards) {
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("averageShared: no shard snapshots");
    }
    SharedSnapshot first = shards.get(0);
    long total = 0;
    for (SharedSnapshot s : shards) {
      if (s.numRelations() != first.numRelations()
          || s.relationDim() != first.relationDim()
          || s.encoder().size() != first.encoder().size()) {
        throw new IllegalArgumentException("averageShared: shard snapshots differ in shape");
      }
      total += s.triplesTrained();
    }
    if (total == 0) {
      throw new IllegalArgumentException(
          "averageShared: no shard trained any triple, nothing to average");
    }
    double[] rel = new double[first.relations().length];
    double[] relAcc = new double[first.relationAdagrad().length];
    List<double[]> enc = new ArrayList<>();
    for (DenseTensor t : first.encoder()) enc.add(new double[t.values().length]);
    for (SharedSnapshot s : shards) {
      double w = (double) s.triplesTrained() / total;
      addScaled(rel, s.relations(), w);
      addScaled(relAcc, s.relationAdagrad(), w);
      for (int i = 0; i < enc.size(); i++) {
        DenseTensor t = s.encoder().get(i);
        DenseTensor ref = first.encoder().get(i);
        if (!t.name().equals(ref.name()) || !Arrays.equals(t.shape(), ref.shape())) {
          throw new IllegalArgumentException(
              "averageShared: encoder tensor "
                  + i
                  + " is "
                  + t.name()
                  + Arrays.toString(t.shape())
                  + " in one shard, "
                  + ref.name()
                  + Arrays.toString(ref.shape())
                  + " in another");
        }
        addScaled(enc.get(i), t.values(), w);
      }
    }
    List<DenseTensor> encoder = new ArrayList<>();
    for (int i = 0; i < enc.size(); i++) {
      DenseTensor ref = first.encoder().get(i);
      encoder.add(new DenseTensor(ref.name(), ref.shape().clone(), toFloat(enc.get(i))));
    }
    return new SharedSnapshot(
        first.numRelations(), first.relationDim(), toFloat(rel), toFloat(relAcc), encoder, total);
  }

  private static void addScaled(double[] into, float[] values, double w) {
    for (int i = 0; i < into.length; i++) into[i] += w * values[i];
  }

  private static float[] toFloat(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
    return out;
  }
}
