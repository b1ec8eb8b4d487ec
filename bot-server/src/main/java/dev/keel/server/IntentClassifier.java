package dev.keel.server;

import org.tribuo.Example;
import org.tribuo.Feature;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.data.text.TextFeatureExtractor;
import org.tribuo.data.text.impl.TextFeatureExtractorImpl;
import org.tribuo.data.text.impl.TokenPipeline;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.util.tokens.impl.BreakIteratorTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads the intent of a customer message: a Tribuo logistic regression over word unigrams and
 * bigrams, with the rare classes (churn, human, complaint) weighted up. Explicit phrase rules ({@link Intent#byRules}) take over when the model sees
 * nothing special, because they measurably raise the recall of churn and human on phrasings the
 * training data lacks.
 *
 * <p>The model shipped in the jar ({@value #RESOURCE}) is built by {@code keel intent train}; the
 * text pipeline is not part of the saved model, so it is rebuilt here the same way on load.
 */
final class IntentClassifier {
    static final String RESOURCE = "keel/intent/intent-model.tribuo";
    static final long SEED = 42L;
    static final double TEST_SHARE = 0.2;
    private static final int EPOCHS = 8;
    private static final Pattern SLOT = Pattern.compile("\\{\\{[^}]*}}");
    private static final LabelFactory LABELS = new LabelFactory();

    private final Model<Label> model;
    private final TextFeatureExtractor<Label> extractor = extractor();

    /**
     * The intent with the model's probability for it.
     *
     * @param byRule true when a phrase rule, not the model, gave the intent
     */
    record Reading(Intent intent, double confidence, boolean byRule) {
    }

    private IntentClassifier(Model<Label> model) {
        this.model = model;
    }

    static IntentClassifier train(List<LabelledText> examples) {
        TextFeatureExtractor<Label> extractor = extractor();
        Map<String, Long> counts = new TreeMap<>();
        examples.forEach(e -> counts.merge(e.label(), 1L, Long::sum));
        MutableDataset<Label> data = new MutableDataset<>(new SimpleDataSourceProvenance("intents", LABELS), LABELS);
        for (LabelledText e : examples) {
            Example<Label> example = extractor.extract(new Label(e.label()), normalise(e.text()));
            // lift the rare classes half-way (square root of the inverse frequency): full balancing
            // made the model call unseen, unrelated messages churn
            example.setWeight((float) Math.sqrt((double) examples.size() / (counts.size() * counts.get(e.label()))));
            data.add(example);
        }
        LinearSGDTrainer trainer = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.5, 0.1), EPOCHS, SEED);
        return new IntentClassifier(trainer.train(data));
    }

    /** The model shipped in the jar. */
    static IntentClassifier bundled() {
        try (InputStream in = IntentClassifier.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the intent model " + RESOURCE + " is missing; run keel intent train");
            }
            return new IntentClassifier(Model.deserializeFromStream(in).castModel(Label.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the intent model " + RESOURCE, e);
        }
    }

    void save(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        model.serializeToFile(file);
    }

    /** The model's reading, overridden by an explicit phrase rule when the model finds nothing special. */
    Reading read(String text) {
        Reading byModel = readByModel(text);
        if (byModel.intent() == Intent.OTHER) {
            Optional<Intent> rule = Intent.byRules(text);
            if (rule.isPresent()) {
                return new Reading(rule.get(), byModel.confidence(), true);
            }
        }
        return byModel;
    }

    /** The model's reading alone, without the phrase rules. */
    Reading readByModel(String text) {
        Example<Label> example = extractor.extract(LABELS.getUnknownOutput(), normalise(text));
        if (!knowsAnyFeatureOf(example)) {
            // no word the model has seen: Tribuo refuses to predict, and there is nothing to read anyway
            return new Reading(Intent.OTHER, 0, false);
        }
        Prediction<Label> prediction = model.predict(example);
        Label best = prediction.getOutput();
        return new Reading(Intent.ofLabel(best.getLabel()), best.getScore(), false);
    }

    private boolean knowsAnyFeatureOf(Example<Label> example) {
        for (Feature feature : example) {
            if (model.getFeatureIDMap().getID(feature.getName()) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Lower case, and the data set's template slots such as {{Order Number}} read as one word. */
    static String normalise(String text) {
        return SLOT.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" slot ");
    }

    private static TextFeatureExtractor<Label> extractor() {
        return new TextFeatureExtractorImpl<>(new TokenPipeline(new BreakIteratorTokenizer(Locale.ROOT), 2, true));
    }
}
