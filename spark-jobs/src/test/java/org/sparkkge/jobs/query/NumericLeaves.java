package org.sparkkge.jobs.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The numbers of a JSON tree by path ("a.b", "a.list[0].c"): what the report's metrics table must
 * show.
 */
final class NumericLeaves {
  private NumericLeaves() {}

  static Map<String, Double> of(JsonNode root) {
    Map<String, Double> out = new LinkedHashMap<>();
    collect("", root, out);
    return out;
  }

  private static void collect(String prefix, JsonNode node, Map<String, Double> out) {
    if (node.isNumber()) {
      out.put(prefix, node.asDouble());
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        collect(
            prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(),
            field.getValue(),
            out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collect(prefix + "[" + i + "]", node.get(i), out);
      }
    }
  }
}
