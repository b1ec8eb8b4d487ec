package dev.keel.churn;

/**
 * Platt scaling on the log-odds of a raw model probability: {@code p = 1 / (1 + exp(-(a * logit(raw) + b)))}.
 * Fitted by Newton's method on out-of-fold scores, so the calibrated probabilities reflect unseen customers rather
 * than the rows a model was fitted on. Monotone, so it never changes the ranking (ROC AUC) of a single model.
 *
 * @param a slope on the raw log-odds
 * @param b intercept
 */
record PlattCalibrator(double a, double b) {
    private static final double EPS = 1e-7;

    static final PlattCalibrator IDENTITY = new PlattCalibrator(1.0, 0.0);

    PlattCalibrator {
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            throw new IllegalStateException("Calibration parameters are not finite: a=" + a + " b=" + b);
        }
    }

    /** Fits a and b by maximum likelihood (a little L2 pull towards the identity keeps it stable). */
    static PlattCalibrator fit(double[] raw, boolean[] labels) {
        double a = 1.0;
        double b = 0.0;
        double ridge = 1e-3;
        for (int iter = 0; iter < 50; iter++) {
            double ga = ridge * (a - 1.0);
            double gb = ridge * b;
            double haa = ridge;
            double hab = 0;
            double hbb = ridge;
            for (int i = 0; i < raw.length; i++) {
                double x = logit(raw[i]);
                double p = sigmoid(a * x + b);
                double r = p - (labels[i] ? 1.0 : 0.0);
                double w = Math.max(p * (1 - p), 1e-12);
                ga += r * x;
                gb += r;
                haa += w * x * x;
                hab += w * x;
                hbb += w;
            }
            double det = haa * hbb - hab * hab;
            if (!(det > 0)) {
                break;
            }
            double da = (hbb * ga - hab * gb) / det;
            double db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if (Math.abs(da) + Math.abs(db) < 1e-10) {
                break;
            }
        }
        return new PlattCalibrator(a, b);
    }

    double apply(double raw) {
        return sigmoid(a * logit(raw) + b);
    }

    double[] apply(double[] raw) {
        double[] out = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = apply(raw[i]);
        }
        return out;
    }

    static double logit(double p) {
        double q = Math.min(1 - EPS, Math.max(EPS, p));
        return Math.log(q / (1 - q));
    }

    static double sigmoid(double z) {
        return 1.0 / (1.0 + Math.exp(-z));
    }
}
