package dev.keel.churn;

import org.tribuo.Example;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.ImmutableOutputInfo;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.common.xgboost.XGBoostModel;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.la.SparseVector;
import org.tribuo.math.la.VectorTuple;
import org.tribuo.provenance.SimpleDataSourceProvenance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Tribuo classifier together with the encoder it was fitted with: raw churn probabilities and, per feature, the
 * contribution to the churn log-odds relative to the average training customer.
 *
 * <p>Tribuo trains and stores the model; scoring reads its parameters and computes in Java (a round trip through
 * Tribuo and the native XGBoost library per customer costs far more than the arithmetic).
 * Contributions: for logistic regression {@code w_j * (x_j - mean_j)} (exact for a linear model); for XGBoost the
 * path attributions of {@link TreeEnsemble}. In both cases the contributions plus a constant sum to the model's
 * log-odds, so "raises" and "lowers" mean the same for either learner.
 *
 * <p>A model whose weights or outputs are not finite is refused with an {@link IllegalStateException}.
 */
final class FittedModel {
    static final String CHURN = "churn";
    static final String STAY = "stay";
    private static final Label CHURN_LABEL = new Label(CHURN);
    private static final Label STAY_LABEL = new Label(STAY);

    private final Learner learner;
    private final Model<Label> model;
    private final FeatureEncoder encoder;
    private final double[] featureMeans;
    private final double[] linearLogOdds;
    private final int churnId;
    private final int stayId;
    /** The XGBoost trees, evaluated in Java; null for the linear model. */
    private final TreeEnsemble trees;
    /** Where the encoder's features sit in the model's feature ids, for scoring without building names. */
    private final FeatureEncoder.DenseLayout layout;
    /** The constant part of the linear model's contributions (intercept plus mean-centring); 0 for trees. */
    private final double linearConstant;

    FittedModel(Learner learner, Model<Label> model, FeatureEncoder encoder, double[] featureMeans) {
        if (!learner.accepts(model) || !model.generatesProbabilities()) {
            throw new IllegalStateException("Not a probabilistic " + learner.id() + " model: " + model.getClass());
        }
        ImmutableOutputInfo<Label> outputs = model.getOutputIDInfo();
        if (!outputs.getDomain().equals(Set.of(CHURN_LABEL, STAY_LABEL))) {
            throw new IllegalStateException("Model predicts " + outputs.getDomain() + ", expected {churn, stay}");
        }
        if (featureMeans.length != model.getFeatureIDMap().size()) {
            throw new IllegalStateException("Feature means do not match the model's " + model.getFeatureIDMap().size()
                    + " features");
        }
        this.learner = learner;
        this.model = model;
        this.encoder = encoder;
        this.featureMeans = featureMeans.clone();
        this.churnId = outputs.getID(CHURN_LABEL);
        this.stayId = outputs.getID(STAY_LABEL);
        this.linearLogOdds = model instanceof LinearSGDModel lin ? linearLogOdds(lin) : null;
        this.trees = model instanceof XGBoostModel<Label> xgb ? TreeEnsemble.of(xgb.getInnerModels().get(0),
                featureMeans.length, outputs.size(), churnId) : null;
        ImmutableFeatureMap ids = model.getFeatureIDMap();
        this.layout = encoder.layout(ids::getID);
        double constant = 0;
        if (linearLogOdds != null) {
            constant = linearLogOdds[featureMeans.length];
            for (int j = 0; j < featureMeans.length; j++) {
                constant += linearLogOdds[j] * featureMeans[j];
            }
        }
        this.linearConstant = constant;
    }

    /** Fits {@code learner} on the rows (encoded leniently, as training cells may hold counted malformed values). */
    static FittedModel fit(Learner learner, FeatureEncoder encoder, List<Map<String, String>> rows, boolean[] labels,
                           long seed) {
        LabelFactory factory = new LabelFactory();
        MutableDataset<Label> data = new MutableDataset<>(
                new SimpleDataSourceProvenance("keel customer table", factory), factory);
        for (int i = 0; i < rows.size(); i++) {
            FeatureEncoder.Encoded e = encoder.encode(rows.get(i), FeatureEncoder.Mode.LENIENT);
            if (e.features().isEmpty()) {
                throw new IllegalArgumentException("No usable feature columns: every column was dropped "
                        + encoder.dropped());
            }
            data.add(new ArrayExample<>(labels[i] ? CHURN_LABEL : STAY_LABEL, e.names(), e.values()));
        }
        Model<Label> model = learner.fit(data, seed);
        ImmutableFeatureMap features = model.getFeatureIDMap();
        double[] means = new double[features.size()];
        for (Example<Label> example : data) {
            for (VectorTuple t : SparseVector.createSparseVector(example, features, false)) {
                means[t.index] += t.value;
            }
        }
        for (int j = 0; j < means.length; j++) {
            means[j] /= data.size();
        }
        return new FittedModel(learner, model, encoder, means);
    }

    /** Raw (uncalibrated) churn probabilities, one per record; a record with no known feature gets NaN. */
    double[] rawProbabilities(List<FeatureEncoder.Encoded> records) {
        double[] out = new double[records.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rawProbability(records.get(i));
        }
        return out;
    }

    private double rawProbability(FeatureEncoder.Encoded record) {
        return probability(explain(record));
    }

    /** The churn probability from {@link #explain}'s contributions; NaN for null. */
    static double probability(double[] contributions) {
        if (contributions == null) {
            return Double.NaN;
        }
        double logOdds = 0;
        for (double v : contributions) {
            logOdds += v;
        }
        return 1.0 / (1.0 + Math.exp(-logOdds));
    }

    /**
     * Contributions by feature id plus, at the end, the constant part (expected value for trees, intercept plus the
     * mean-centring for the linear model); they sum to the churn log-odds. Null when no feature of the record is
     * known to the model.
     */
    double[] explain(FeatureEncoder.Encoded record) {
        SparseVector vector = SparseVector.createSparseVector(example(record), model.getFeatureIDMap(), false);
        if (vector.numActiveElements() == 0) {
            return null;
        }
        int n = featureMeans.length;
        double[] x = new double[n];
        java.util.Arrays.fill(x, trees != null ? Double.NaN : 0.0);
        for (VectorTuple t : vector) {
            x[t.index] = t.value;
        }
        if (trees != null) {
            return trees.explain(x);
        }
        double[] c = new double[n + 1];
        double constant = linearLogOdds[n];
        for (int j = 0; j < n; j++) {
            c[j] = linearLogOdds[j] * (x[j] - featureMeans[j]);
            constant += linearLogOdds[j] * featureMeans[j];
        }
        c[n] = constant;
        return c;
    }

    /** What {@link #explain(Map, String[])} found: contributions (null: no feature known), and informativeness. */
    record Contributions(double[] byFeature, boolean informative) {}

    /**
     * Checks and encodes a record strictly and gives its contributions, as {@link #explain(FeatureEncoder.Encoded)}
     * does for the features {@link FeatureEncoder#encode} builds, but straight from the cells: no feature names,
     * no sparse vector.
     *
     * @param codes receives each column's cell in short form ({@link FeatureEncoder#encodeDense})
     * @throws SchemaMismatchException when the record does not fit the schema
     */
    Contributions explain(Map<String, String> record, String[] codes) {
        int n = featureMeans.length;
        double[] x = new double[n];
        if (trees != null) {
            java.util.Arrays.fill(x, Double.NaN);
        }
        FeatureEncoder.Dense dense = encoder.encodeDense(record, layout, x, codes);
        if (dense.knownFeatures() == 0) {
            return new Contributions(null, dense.informative());
        }
        if (trees != null) {
            return new Contributions(trees.explain(x), dense.informative());
        }
        double[] c = new double[n + 1];
        for (int j = 0; j < n; j++) {
            c[j] = linearLogOdds[j] * (x[j] - featureMeans[j]);
        }
        c[n] = linearConstant;
        return new Contributions(c, dense.informative());
    }

    /** Checks a record against the schema (the rules of {@link #explain(Map, String[])}) without scoring it. */
    void check(Map<String, String> record) {
        encoder.encodeDense(record, layout, new double[featureMeans.length], new String[encoder.columns().size()]);
    }

    /** Tribuo's own probabilities, to check that {@link #rawProbabilities} agrees with it. */
    double[] tribuoProbabilities(List<FeatureEncoder.Encoded> records) {
        List<Example<Label>> examples = new ArrayList<>();
        records.forEach(r -> examples.add(example(r)));
        List<Prediction<Label>> predictions = model.predict(examples);
        return predictions.stream().mapToDouble(p -> p.getOutputScores().get(CHURN).getScore()).toArray();
    }

    private Example<Label> example(FeatureEncoder.Encoded encoded) {
        return new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, encoded.names(), encoded.values());
    }

    /** Fails unless every linear weight is finite; trees are checked through their outputs. */
    void requireFinite() {
        if (model instanceof LinearSGDModel lin) {
            linearLogOdds(lin);
        }
    }

    private double[] linearLogOdds(LinearSGDModel lin) {
        DenseMatrix w = lin.getWeightsCopy();
        double[] delta = new double[w.getDimension2Size()];
        for (int j = 0; j < delta.length; j++) {
            delta[j] = w.get(churnId, j) - w.get(stayId, j);
            if (!Double.isFinite(w.get(churnId, j)) || !Double.isFinite(w.get(stayId, j))) {
                throw new IllegalStateException("Model weights are not finite (feature " + j
                        + "): refusing to use this model");
            }
        }
        return delta;
    }

    /** Names of the model's features by id. */
    List<String> featureNames() {
        ImmutableFeatureMap features = model.getFeatureIDMap();
        List<String> names = new ArrayList<>(features.size());
        for (int i = 0; i < features.size(); i++) {
            names.add(features.get(i).getName());
        }
        return names;
    }

    Learner learner() {
        return learner;
    }

    Model<Label> model() {
        return model;
    }

    FeatureEncoder encoder() {
        return encoder;
    }

    double[] featureMeans() {
        return featureMeans.clone();
    }
}
