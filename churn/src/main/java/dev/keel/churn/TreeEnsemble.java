package dev.keel.churn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The trees of an XGBoost model, evaluated in Java for scoring and explaining one customer at a time in
 * microseconds (a call through the native library costs about a millisecond per row, most of it overhead).
 *
 * <p>Read from the booster's JSON dump with statistics. Trees alternate between the two classes (multi:softprob);
 * the churn log-odds is the sum of the churn trees minus the sum of the stay trees. A split sends a value below its
 * threshold (compared as a float, as XGBoost does) to "yes" and an absent feature along the "missing" branch.
 *
 * <p>Contributions are path attributions (Saabas): walking from the root to the leaf, each split adds the change of
 * the cover-weighted expected value of the node to the feature it split on. They sum, with the expected value of
 * the roots, to the log-odds exactly.
 *
 * <p>For speed the trees are laid out in one set of flat arrays (node by node, tree after tree), each split holding
 * the contribution its "yes", "no" and "missing" branches add, so that scoring walks contiguous memory and adds a
 * precomputed number per step; the expected value of the roots is one constant.
 */
final class TreeEnsemble {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tree as parallel arrays; {@code feature[i] < 0} marks a leaf. */
    private record Tree(int[] feature, float[] threshold, int[] yes, int[] no, int[] missing, double[] value,
                        double sign) {
    }

    /** Per node: the feature split on ({@code < 0}: a leaf), its threshold, and the next node by branch. */
    private final int[] feature;
    private final float[] threshold;
    private final int[] yes;
    private final int[] no;
    private final int[] missing;
    /** Per node: what taking the yes, no or missing branch adds to the split feature's contribution. */
    private final double[] yesGain;
    private final double[] noGain;
    private final double[] missingGain;
    /** The first node of each tree. */
    private final int[] roots;
    private final double expected;
    private final int features;

    private TreeEnsemble(List<Tree> trees, int features) {
        int nodes = trees.stream().mapToInt(t -> t.feature().length).sum();
        this.feature = new int[nodes];
        this.threshold = new float[nodes];
        this.yes = new int[nodes];
        this.no = new int[nodes];
        this.missing = new int[nodes];
        this.yesGain = new double[nodes];
        this.noGain = new double[nodes];
        this.missingGain = new double[nodes];
        this.roots = new int[trees.size()];
        double constant = 0;
        int base = 0;
        for (int t = 0; t < trees.size(); t++) {
            Tree tree = trees.get(t);
            roots[t] = base;
            constant += tree.sign() * tree.value()[0];
            for (int i = 0; i < tree.feature().length; i++) {
                int at = base + i;
                feature[at] = tree.feature()[i];
                if (feature[at] < 0) {
                    continue;
                }
                threshold[at] = tree.threshold()[i];
                yes[at] = base + tree.yes()[i];
                no[at] = base + tree.no()[i];
                missing[at] = base + tree.missing()[i];
                yesGain[at] = tree.sign() * (tree.value()[tree.yes()[i]] - tree.value()[i]);
                noGain[at] = tree.sign() * (tree.value()[tree.no()[i]] - tree.value()[i]);
                missingGain[at] = tree.sign() * (tree.value()[tree.missing()[i]] - tree.value()[i]);
            }
            base += tree.feature().length;
        }
        this.expected = constant;
        this.features = features;
    }

    static TreeEnsemble of(Booster booster, int features, int classes, int churnClass) {
        try {
            String[] dump = booster.getModelDump((String) null, true, "json");
            List<Tree> trees = new ArrayList<>(dump.length);
            for (int t = 0; t < dump.length; t++) {
                int cls = t % classes;
                double sign = cls == churnClass ? 1.0 : -1.0;
                trees.add(parse(JSON.readTree(dump[t]), sign, features));
            }
            return new TreeEnsemble(trees, features);
        } catch (XGBoostError | IOException e) {
            throw new IllegalStateException("Cannot read the XGBoost trees: " + e.getMessage(), e);
        }
    }

    private static Tree parse(JsonNode root, double sign, int features) {
        List<JsonNode> nodes = new ArrayList<>();
        collect(root, nodes);
        int size = nodes.stream().mapToInt(n -> n.path("nodeid").asInt()).max().orElse(0) + 1;
        int[] feature = new int[size];
        float[] threshold = new float[size];
        int[] yes = new int[size];
        int[] no = new int[size];
        int[] missing = new int[size];
        double[] value = new double[size];
        double[] cover = new double[size];
        for (JsonNode n : nodes) {
            int id = n.path("nodeid").asInt();
            cover[id] = n.path("cover").asDouble();
            if (n.has("leaf")) {
                feature[id] = -1;
                value[id] = n.path("leaf").asDouble();
            } else {
                String split = n.path("split").asText();
                feature[id] = Integer.parseInt(split.substring(1));
                if (feature[id] >= features) {
                    throw new IllegalStateException("Tree splits on feature " + split + " of " + features);
                }
                threshold[id] = (float) n.path("split_condition").asDouble();
                yes[id] = n.path("yes").asInt();
                no[id] = n.path("no").asInt();
                missing[id] = n.path("missing").asInt();
            }
        }
        expectedValue(0, feature, yes, no, value, cover);
        return new Tree(feature, threshold, yes, no, missing, value, sign);
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        out.add(node);
        for (JsonNode child : node.path("children")) {
            collect(child, out);
        }
    }

    /** Fills in the cover-weighted mean leaf value of every inner node; returns the node's cover. */
    private static double expectedValue(int id, int[] feature, int[] yes, int[] no, double[] value, double[] cover) {
        if (feature[id] < 0) {
            return cover[id];
        }
        double cy = expectedValue(yes[id], feature, yes, no, value, cover);
        double cn = expectedValue(no[id], feature, yes, no, value, cover);
        value[id] = cy + cn > 0 ? (value[yes[id]] * cy + value[no[id]] * cn) / (cy + cn)
                : (value[yes[id]] + value[no[id]]) / 2;
        return cy + cn;
    }

    /**
     * @param x feature values by feature id, {@code NaN} where the feature is absent
     * @return contributions by feature id, and at index {@code features} the expected value; they sum to the
     *         churn log-odds
     */
    double[] explain(double[] x) {
        double[] out = new double[features + 1];
        out[features] = expected;
        for (int root : roots) {
            int node = root;
            int f;
            while ((f = feature[node]) >= 0) {
                double v = x[f];
                if (Double.isNaN(v)) {
                    out[f] += missingGain[node];
                    node = missing[node];
                } else if ((float) v < threshold[node]) {
                    out[f] += yesGain[node];
                    node = yes[node];
                } else {
                    out[f] += noGain[node];
                    node = no[node];
                }
            }
        }
        return out;
    }
}
