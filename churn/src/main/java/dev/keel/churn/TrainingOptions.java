package dev.keel.churn;

import java.util.Map;

/**
 * How {@link ChurnModel#train} trains.
 *
 * @param seed    seed for the folds and the learners; the same table and options give the same model
 * @param learner the learner to use, or null to cross-validate both and keep the one with the higher ROC AUC
 * @param types   column types that override inference (see {@link FeatureEncoder})
 * @param folds   number of cross-validation folds (fewer when a class has fewer rows)
 */
public record TrainingOptions(long seed, Learner learner, Map<String, ColumnType> types, int folds) {
    public static final long DEFAULT_SEED = 42L;
    public static final int DEFAULT_FOLDS = 5;

    public TrainingOptions {
        types = Map.copyOf(types);
        if (folds < 2) {
            throw new IllegalArgumentException("folds must be at least 2, got " + folds);
        }
    }

    /** Both learners compared, inferred types, five folds. */
    public static TrainingOptions defaults(long seed) {
        return new TrainingOptions(seed, null, Map.of(), DEFAULT_FOLDS);
    }
}
