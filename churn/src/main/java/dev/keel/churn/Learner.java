package dev.keel.churn;

import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Trainer;
import org.tribuo.classification.Label;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.classification.xgboost.XGBoostClassificationTrainer;
import org.tribuo.common.xgboost.XGBoostModel;
import org.tribuo.common.xgboost.XGBoostTrainer;
import org.tribuo.math.optimisers.AdaGrad;

import java.util.Locale;

/**
 * The Tribuo learners Keel can train. Both are fitted with a fixed seed, so the same table gives the same model.
 *
 * <ul>
 *   <li>{@link #LR}: logistic regression, {@link LinearSGDTrainer} with the log loss and AdaGrad.</li>
 *   <li>{@link #GBT}: gradient-boosted trees, XGBoost (histogram method) through
 *   {@link XGBoostClassificationTrainer}; few shallow trees, strongly regularised (a minimum child weight of 20,
 *   which under the two-class soft-max objective is at least 40 customers a leaf, an L2 penalty on leaf values, a
 *   minimum gain per split) with row and column subsampling. On a table of
 *   a few thousand customers, regularisation gains more than depth or more rounds; and fewer trees make a score
 *   cheaper to compute.</li>
 * </ul>
 */
public enum Learner {
    LR, GBT;

    static final int LR_EPOCHS = 10;
    static final double LR_LEARNING_RATE = 0.05;
    static final int GBT_TREES = 120;
    static final double GBT_ETA = 0.06;
    static final int GBT_DEPTH = 3;
    static final double GBT_MIN_CHILD_WEIGHT = 20.0;
    static final double GBT_SUBSAMPLE = 0.7;
    static final double GBT_COLSAMPLE = 0.5;
    static final double GBT_L2 = 10.0;
    static final double GBT_MIN_SPLIT_GAIN = 1.0;
    /** One thread: on a small table, more threads mostly wait on each other (and on a busy machine, much worse). */
    static final int GBT_THREADS = 1;

    /** Parses {@code lr} or {@code gbt} (any case). */
    public static Learner parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trainer must be lr or gbt, not '" + text + "'");
        }
    }

    /** Lower-case name used in files and JSON. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    Model<Label> fit(MutableDataset<Label> data, long seed) {
        return trainer(seed).train(data);
    }

    /** The trainer's settings without the seed, as recorded in the model file and folded into the version. */
    String description() {
        return trainer(0).toString().replaceAll(",?\\s*seed=0", "");
    }

    boolean accepts(Model<Label> model) {
        return switch (this) {
            case LR -> model instanceof org.tribuo.classification.sgd.linear.LinearSGDModel;
            case GBT -> model instanceof XGBoostModel;
        };
    }

    private Trainer<Label> trainer(long seed) {
        // a fresh trainer per fit, so every fit with the same seed draws the same random numbers
        return switch (this) {
            case LR -> new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(LR_LEARNING_RATE, 1e-6), LR_EPOCHS, -1,
                    1, seed);
            case GBT -> new XGBoostClassificationTrainer(XGBoostTrainer.BoosterType.GBTREE,
                    XGBoostTrainer.TreeMethod.HIST, GBT_TREES, GBT_ETA, GBT_MIN_SPLIT_GAIN, GBT_DEPTH,
                    GBT_MIN_CHILD_WEIGHT, GBT_SUBSAMPLE, GBT_COLSAMPLE, GBT_L2, 0.0, GBT_THREADS,
                    XGBoostTrainer.LoggingVerbosity.SILENT, seed);
        };
    }
}
