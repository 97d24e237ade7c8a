package org.sparkkge.jobs.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;

/**
 * DIR/report.html: one self-contained page (inline CSS, JavaScript and data; nothing fetched from
 * the network) summarising a run from DIR/stats.json and DIR/metrics.json: loss per round,
 * validation MRR per round, the degree distribution (a histogram over logarithmic degree bins,
 * log-scale y axis; the summary figures alone for an older stats.json without {@code
 * train_degree_histogram}), k-core sizes, shard balance and the final metrics table. Sections whose
 * data a run did not produce say so. The page draws its charts as SVG when opened; after drawing it
 * sets {@code data-charts} on the body to the number of charts drawn.
 *
 * <p>Call {@link #write(String, Configuration)} after the last stage of a run (any Hadoop path), or
 * run {@code java -cp spark-kge-app.jar:... org.sparkkge.jobs.query.RunReport DIR} (also as a
 * spark-submit main class, which is what the Airflow DAG's report task does).
 */
public final class RunReport {

  private RunReport() {}

  /** Writes DIR/report.html; exit 0, 1 on a failure (message on stderr), 2 on a usage error. */
  public static void main(String[] args) {
    if (args.length != 1 || args[0].startsWith("-")) {
      System.err.println(
          "usage: RunReport DIR   (writes DIR/report.html from DIR/stats.json and DIR/metrics.json)");
      System.exit(2);
    }
    try {
      System.out.println("report: wrote " + write(args[0], new Configuration()));
    } catch (PipelineException e) {
      System.err.println(e.getMessage());
      System.exit(1);
    }
  }

  /** Writes DIR/report.html from DIR/stats.json and DIR/metrics.json; returns its path. */
  public static Path write(String dir, Configuration conf) {
    Path root = new Path(dir);
    try {
      FileSystem fs = root.getFileSystem(conf);
      JsonNode stats = read(fs, new Path(root, Layout.STATS_JSON));
      JsonNode metrics = read(fs, new Path(root, Layout.METRICS_JSON));
      if (stats == null) {
        throw new PipelineException(
            "report: "
                + new Path(root, Layout.STATS_JSON)
                + " not found (run at least the ingest stage)");
      }
      String html = render(root.toString(), stats, metrics);
      Path target = new Path(root, Layout.REPORT_HTML);
      Path temporary = new Path(root, "." + Layout.REPORT_HTML + ".tmp");
      try (OutputStream out = fs.create(temporary, true)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
      }
      fs.delete(target, false);
      if (!fs.rename(temporary, target)) {
        throw new IOException("cannot rename " + temporary + " to " + target);
      }
      return target;
    } catch (IOException e) {
      throw new PipelineException(
          "report: cannot write " + new Path(root, Layout.REPORT_HTML) + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode read(FileSystem fs, Path file) throws IOException {
    if (!fs.exists(file)) {
      return null;
    }
    try (InputStream in = fs.open(file)) {
      return Json.mapper().readTree(in);
    } catch (IOException e) {
      throw new PipelineException("report: " + file + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  /** An ingest figure of stats.json: at the top level where present, else in the ingest section. */
  private static JsonNode ingestStat(JsonNode stats, String key) {
    return stats.has(key) ? stats.get(key) : stats.path("ingest").path(key);
  }

  /** The data the page draws, picked from stats.json and metrics.json (absent parts stay null). */
  static ObjectNode data(String dir, JsonNode stats, JsonNode metrics) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode data = f.objectNode();
    data.put("dir", dir);
    JsonNode train = stats.path("train");
    data.set(
        "loss",
        train.path("round_mean_loss").isArray() ? train.get("round_mean_loss") : f.nullNode());
    data.set("valid_mrr", firstArray(train, "round_valid_mrr", "valid_mrr_per_round", "round_mrr"));
    ObjectNode degree = f.objectNode();
    JsonNode summary = ingestStat(stats, "train_degree");
    for (String key : new String[] {"min", "median", "mean", "p90", "p99", "max"}) {
      if (summary.path(key).isNumber()) {
        degree.set(key, summary.get(key));
      }
    }
    data.set("degree", degree.isEmpty() ? f.nullNode() : degree);
    // Older runs' stats.json has no histogram: the page then charts the summary figures instead.
    JsonNode bins = ingestStat(stats, "train_degree_histogram");
    ArrayNode histogram = f.arrayNode();
    for (JsonNode bin : bins) {
      histogram
          .addObject()
          .put("from", bin.path("from").asLong())
          .put("to", bin.path("to").asLong())
          .put("entities", bin.path("entities").asLong());
    }
    data.set("degree_histogram", histogram.isEmpty() ? f.nullNode() : histogram);
    JsonNode unseen = ingestStat(stats, "unseen_entities");
    data.set(
        "unseen_entities",
        unseen.path("entities").isNumber() ? unseen.get("entities") : f.nullNode());
    ArrayNode cores = f.arrayNode();
    for (JsonNode level : stats.path("reduce").path("per_k")) {
      cores
          .addObject()
          .put("k", level.path("k").asInt())
          .put("entities", level.path("entities").asLong())
          .put("triples", level.path("triples").asLong());
    }
    data.set("kcore", cores.isEmpty() ? f.nullNode() : cores);
    data.set(
        "reduce_k",
        stats.path("reduce").path("k").isNumber() ? stats.path("reduce").get("k") : f.nullNode());
    ArrayNode shards = f.arrayNode();
    JsonNode partitionSizes = stats.path("partition").path("shard_sizes");
    if (partitionSizes.isArray()) {
      partitionSizes.forEach(size -> shards.add(size.asLong()));
    } else {
      for (JsonNode shard : stats.path("train").path("shard_sizes")) {
        shards.add(shard.path("triples").asLong());
      }
    }
    data.set("shards", shards.isEmpty() ? f.nullNode() : shards);
    data.set(
        "balance",
        stats.path("partition").path("balance").isNumber()
            ? stats.path("partition").get("balance")
            : f.nullNode());
    ArrayNode table = f.arrayNode();
    if (metrics != null) {
      flatten("", metrics, table);
    }
    data.set("metrics", table);
    return data;
  }

  private static JsonNode firstArray(JsonNode node, String... keys) {
    for (String key : keys) {
      if (node.path(key).isArray()) {
        return node.get(key);
      }
    }
    return JsonNodeFactory.instance.nullNode();
  }

  /** Every number of metrics.json as (dotted path, value), in file order; arrays by index. */
  private static void flatten(String prefix, JsonNode node, ArrayNode out) {
    if (node.isNumber()) {
      out.addObject().put("key", prefix).set("value", node);
    } else if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        flatten(
            prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(),
            field.getValue(),
            out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        flatten(prefix + "[" + i + "]", node.get(i), out);
      }
    }
  }

  static String render(String dir, JsonNode stats, JsonNode metrics) throws IOException {
    // "</" inside a script element would end it early
    String data = Json.compact(data(dir, stats, metrics)).replace("</", "<\\/");
    return TEMPLATE.replace("@TITLE@", escape(dir)).replace("@DATA@", data);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static final String TEMPLATE =
      """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>spark-kge run report: @TITLE@</title>
      <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
        h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; border-bottom: 1px solid #ccc; }
        .missing { color: #888; font-style: italic; }
        p.summary { font-size: 0.9em; color: #555; margin-top: 0.3em; }
        svg.chart { background: #fafafa; border: 1px solid #ddd; }
        svg.chart text { font-size: 11px; fill: #333; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 8px; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
      </style>
      </head>
      <body data-charts="0">
      <h1>spark-kge run report</h1>
      <p>Output directory: <code>@TITLE@</code>. Self-contained: data, code and styles are in this file.</p>
      <h2>Loss per round</h2><div id="loss"></div>
      <h2>Validation MRR per round</h2><div id="mrr"></div>
      <h2>Degree distribution (training triples per entity)</h2><div id="degree"></div>
      <h2>k-core sizes</h2><div id="kcore"></div>
      <h2>Shard balance (triples per shard)</h2><div id="shards"></div>
      <h2>Final metrics (metrics.json)</h2><div id="metrics"></div>
      <script type="application/json" id="report-data">@DATA@</script>
      <script>
      (function () {
        var data = JSON.parse(document.getElementById('report-data').textContent);
        var NS = 'http://www.w3.org/2000/svg', drawn = 0;
        function el(name, attrs, parent) {
          var e = document.createElementNS(NS, name);
          for (var k in attrs) e.setAttribute(k, attrs[k]);
          if (parent) parent.appendChild(e);
          return e;
        }
        function missing(id, what) {
          var p = document.createElement('p'); p.className = 'missing';
          p.textContent = 'Not recorded in this run (' + what + ').';
          document.getElementById(id).appendChild(p);
        }
        function fmt(v) { return Math.abs(v) >= 1000 || v === Math.round(v) ? String(Math.round(v * 1000) / 1000) : v.toPrecision(4); }
        // kind: 'line' or 'bar'; labels: x labels; values: numbers; logScale: log10 y axis (non-negative values)
        function chart(id, kind, labels, values, yTitle, logScale) {
          var W = 900, H = 260, L = 70, B = 40, T = 10, R = 10;
          var max = Math.max.apply(null, values), min = Math.min(0, Math.min.apply(null, values));
          var log = !!logScale && min >= 0 && max > 0;
          var svg = el('svg', {'class': 'chart', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
                               'data-kind': kind, 'data-points': values.length, 'data-scale': log ? 'log' : 'linear'});
          if (max === min) max = min + 1;
          var x = function (i) { return L + (kind === 'bar' ? (i + 0.5) : i) * (W - L - R) / Math.max(1, kind === 'bar' ? values.length : values.length - 1); };
          var y = function (v) { return T + (H - T - B) * (1 - (v - min) / (max - min)); };
          var ticks = [0, 1, 2, 3, 4].map(function (t) { return min + (max - min) * t / 4; });
          if (log) {
            // the axis starts at 0.5 so a bar of 1 stays visible; 0 sits on the axis
            var lo = Math.log10(0.5), hi = Math.max(1, Math.ceil(Math.log10(max)));
            y = function (v) { return v > 0 ? T + (H - T - B) * (1 - (Math.log10(v) - lo) / (hi - lo)) : H - B; };
            ticks = [];
            for (var p = 0; p <= hi; p++) ticks.push(Math.pow(10, p));
          }
          el('line', {x1: L, y1: y(min), x2: W - R, y2: y(min), stroke: '#999'}, svg);
          el('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#999'}, svg);
          ticks.forEach(function (v) {
            el('text', {x: L - 6, y: y(v) + 4, 'text-anchor': 'end'}, svg).textContent = fmt(v);
          });
          el('text', {x: 12, y: T + (H - B) / 2, transform: 'rotate(-90 12 ' + (T + (H - B) / 2) + ')', 'text-anchor': 'middle'}, svg).textContent = yTitle;
          var step = Math.max(1, Math.ceil(labels.length / 20));
          values.forEach(function (v, i) {
            if (kind === 'bar') {
              var w = Math.max(1, (W - L - R) / values.length * 0.7);
              el('rect', {'class': 'point', x: x(i) - w / 2, y: y(Math.max(v, 0)), width: w, height: Math.abs(y(v) - y(0)),
                          fill: '#4a7fb5', 'data-value': v}, svg);
            } else {
              el('circle', {'class': 'point', cx: x(i), cy: y(v), r: 3, fill: '#c0504d', 'data-value': v}, svg);
            }
            if (i % step === 0) el('text', {x: x(i), y: H - B + 16, 'text-anchor': 'middle'}, svg).textContent = labels[i];
          });
          if (kind === 'line') {
            el('polyline', {fill: 'none', stroke: '#c0504d', points: values.map(function (v, i) { return x(i) + ',' + y(v); }).join(' ')}, svg);
          }
          document.getElementById(id).appendChild(svg);
          drawn++;
        }
        function rounds(values) { return values.map(function (_, i) { return String(i + 1); }); }
        if (data.loss && data.loss.length) chart('loss', 'line', rounds(data.loss), data.loss, 'mean loss'); else missing('loss', 'train stage: round_mean_loss');
        // round_valid_mrr is aligned with the rounds: null for a round that was not validated
        var validated = (data.valid_mrr || []).map(function (v, i) { return [String(i + 1), v]; })
            .filter(function (p) { return typeof p[1] === 'number'; });
        if (validated.length) chart('mrr', 'line', validated.map(function (p) { return p[0]; }),
            validated.map(function (p) { return p[1]; }), 'validation MRR');
        else missing('mrr', 'no per-round validation in stats.json: train.validation.every-rounds = 0 or no valid split');
        if (data.degree_histogram) {
          var bins = data.degree_histogram;
          chart('degree', 'bar', bins.map(function (b) { return b.from === b.to ? String(b.from) : b.from + '-' + b.to; }),
              bins.map(function (b) { return b.entities; }), 'entities (log scale)', true);
          var line = document.createElement('p'); line.id = 'degree-summary'; line.className = 'summary';
          line.textContent = (data.degree ? 'Degree ' + Object.keys(data.degree).map(function (k) { return k + ' ' + fmt(data.degree[k]); }).join(', ')
              + ' (median and percentiles approximate). ' : '')
              + 'Entities seen only in valid/test (degree 0) are not in the histogram'
              + (data.unseen_entities !== null ? ': ' + data.unseen_entities + '.' : '.');
          document.getElementById('degree').appendChild(line);
        } else if (data.degree) {
          var keys = Object.keys(data.degree);
          chart('degree', 'bar', keys, keys.map(function (k) { return data.degree[k]; }), 'degree');
        } else missing('degree', 'ingest: train_degree');
        if (data.kcore) chart('kcore', 'bar', data.kcore.map(function (l) { return 'k=' + l.k; }), data.kcore.map(function (l) { return l.entities; }), 'entities in the k-core');
        else missing('kcore', 'reduce stage: per_k');
        if (data.shards) {
          chart('shards', 'bar', data.shards.map(function (_, i) { return String(i); }), data.shards, 'triples');
          if (data.balance !== null) {
            var p = document.createElement('p'); p.textContent = 'Balance (largest shard / mean): ' + data.balance;
            document.getElementById('shards').appendChild(p);
          }
        } else missing('shards', 'partition stage: shard_sizes');
        if (data.metrics.length) {
          var table = document.createElement('table'), head = table.insertRow();
          head.innerHTML = '<th>metric</th><th>value</th>';
          data.metrics.forEach(function (m) {
            var row = table.insertRow();
            row.insertCell().textContent = m.key;
            var cell = row.insertCell(); cell.className = 'num'; cell.setAttribute('data-key', m.key);
            cell.textContent = String(m.value);
          });
          table.id = 'metrics-table';
          document.getElementById('metrics').appendChild(table);
        } else missing('metrics', 'metrics.json: export/evaluate stages');
        document.body.setAttribute('data-charts', String(drawn));
      })();
      </script>
      </body>
      </html>
      """;
}
