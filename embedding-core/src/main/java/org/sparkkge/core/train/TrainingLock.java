package org.sparkkge.core.train;

import java.util.concurrent.locks.ReentrantLock;

/**
 * DJL allows one GradientCollector per JVM, and two Spark tasks in one executor may train at once.
 * Every step's device section (gather, forward/backward under the collector, optimizer update) runs
 * holding this JVM-wide fair lock, so steps of concurrent trainings interleave but never overlap;
 * each training's arithmetic is unchanged by the other, which keeps results deterministic.
 */
public final class TrainingLock {
    private static final ReentrantLock LOCK = new ReentrantLock(true);

    private TrainingLock() {}

    static ReentrantLock lock() {
        return LOCK;
    }
}
