package org.sparkkge.partitioner;

import java.util.ArrayDeque;
import java.util.Arrays;

/** Single-machine reference algorithms the distributed ones are checked against. */
final class ReferenceAlgorithms {
  private ReferenceAlgorithms() {}

  /** Batagelj–Zaversnik O(m) core decomposition (bin sort by degree, peel the minimum). */
  static int[] coreNumbers(int[][] adjacency) {
    int n = adjacency.length;
    int[] degree = new int[n];
    int maxDegree = 0;
    for (int v = 0; v < n; v++) {
      degree[v] = adjacency[v].length;
      maxDegree = Math.max(maxDegree, degree[v]);
    }
    int[] bin = new int[maxDegree + 1];
    for (int v = 0; v < n; v++) {
      bin[degree[v]]++;
    }
    int start = 0;
    for (int d = 0; d <= maxDegree; d++) {
      int count = bin[d];
      bin[d] = start;
      start += count;
    }
    int[] position = new int[n];
    int[] vertices = new int[n];
    for (int v = 0; v < n; v++) {
      position[v] = bin[degree[v]];
      vertices[position[v]] = v;
      bin[degree[v]]++;
    }
    for (int d = maxDegree; d >= 1; d--) {
      bin[d] = bin[d - 1];
    }
    bin[0] = 0;
    for (int i = 0; i < n; i++) {
      int v = vertices[i];
      for (int u : adjacency[v]) {
        if (degree[u] > degree[v]) {
          int du = degree[u];
          int pu = position[u];
          int pw = bin[du];
          int w = vertices[pw];
          if (u != w) {
            position[u] = pw;
            vertices[pu] = w;
            position[w] = pu;
            vertices[pw] = u;
          }
          bin[du]++;
          degree[u]--;
        }
      }
    }
    return degree;
  }

  /** Hop distance from the nearest source (multi-source BFS), -1 where unreachable. */
  static int[] bfs(int[][] adjacency, int[] sources) {
    int[] distance = new int[adjacency.length];
    Arrays.fill(distance, -1);
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int s : sources) {
      if (distance[s] != 0) {
        distance[s] = 0;
        queue.add(s);
      }
    }
    while (!queue.isEmpty()) {
      int v = queue.poll();
      for (int u : adjacency[v]) {
        if (distance[u] < 0) {
          distance[u] = distance[v] + 1;
          queue.add(u);
        }
      }
    }
    return distance;
  }
}
