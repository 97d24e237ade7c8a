package org.sparkkge.jobs.query;

/**
 * One answer of a query: an entity and its score (cosine similarity, or the model's triple score).
 */
public record Hit(int id, String name, double score) {}
