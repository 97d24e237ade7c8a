package org.sparkkge.jobs.query;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reference answers: every candidate scored with the formulas written out once more, fully sorted.
 */
final class BruteForce {
  private BruteForce() {}

  static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  /** model.json's scoring_function texts, term by term. */
  static double score(String model, float[] h, float[] r, float[] t) {
    int dim = h.length;
    int half = dim / 2;
    double s = 0;
    for (int i = 0; i < (model.equals("complex") || model.equals("rotate") ? half : dim); i++) {
      switch (model) {
        case "transe_l1" -> s -= Math.abs(h[i] + (double) r[i] - t[i]);
        case "transe_l2" -> s += Math.pow(h[i] + (double) r[i] - t[i], 2);
        case "distmult" -> s += (double) h[i] * r[i] * t[i];
        case "complex" -> {
          // Re(h * r * conj(t)) with h = a + ib, r = c + id, t = e + if
          double a = h[i], b = h[half + i], c = r[i], d = r[half + i], e = t[i], f = t[half + i];
          double hrRe = a * c - b * d, hrIm = a * d + b * c;
          s += hrRe * e + hrIm * f;
        }
        case "rotate" -> {
          double re = h[i] * Math.cos(r[i]) - h[half + i] * Math.sin(r[i]) - t[i];
          double im = h[i] * Math.sin(r[i]) + h[half + i] * Math.cos(r[i]) - t[half + i];
          s -= Math.hypot(re, im);
        }
        default -> throw new IllegalArgumentException(model);
      }
    }
    return model.equals("transe_l2") ? -Math.sqrt(s) : s;
  }

  static List<Hit> neighbors(SyntheticExport export, int query, int n) {
    List<Hit> all = new ArrayList<>();
    for (int e = 0; e < SyntheticExport.ENTITIES; e++) {
      if (e != query) {
        all.add(
            new Hit(
                e, export.entityNames.get(e), cosine(export.entities[query], export.entities[e])));
      }
    }
    return best(all, n);
  }

  static List<Hit> tails(SyntheticExport export, int head, int relation, int n) {
    List<Hit> all = new ArrayList<>();
    for (int t = 0; t < SyntheticExport.ENTITIES; t++) {
      all.add(
          new Hit(
              t,
              export.entityNames.get(t),
              score(
                  export.model,
                  export.entities[head],
                  export.relations[relation],
                  export.entities[t])));
    }
    return best(all, n);
  }

  private static List<Hit> best(List<Hit> all, int n) {
    all.sort(Comparator.comparingDouble(Hit::score).reversed().thenComparingInt(Hit::id));
    return all.subList(0, Math.min(n, all.size()));
  }
}
