package org.sparkkge.partitioner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class SparkSmokeTest {
    @Test
    void localSparkCounts() {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("smoke").getOrCreate();
        assertEquals(10, spark.range(10).count());
    }
}
