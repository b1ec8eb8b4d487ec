package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What counts as a question about the sender's own account, and what is a question anyone may ask. */
class AccountQuestionTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "when does my plan renew?",
            "What is my balance",
            "change my billing address",
            "why is my bill so high",
            "Why is my bill so high this month??",
            "I want to cancel my contract.",
            "how much is my monthly bill",
            "Please update my credit card",
            "which plan am I on? is my subscription still active",
            "How much do I owe?",
            "why was I charged twice",
            "you billed me for a month I didn't use",
            "When is our next payment due",
            "Hi, what's my current plan?",
            "show me my last invoice",
            "upgrade my plan to the fiber package"})
    void aQuestionAboutTheSendersOwnAccountIsAccountSpecific(String text) {
        assertThat(AccountQuestion.isAccountSpecific(text)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "how do I pause a plan?",
            "How do I pause my plan?",
            "Can I pause my plan for 1/2 month?",
            "How can I delete my facebook account?",
            "how to change my billing address",
            "Is it possible to change my plan mid-month?",
            "Where can I see my invoices?",
            "What plans do you offer?",
            "how much does the fiber plan cost",
            "What's your refund policy?",
            "my internet keeps dropping",
            "How do I write strikethrough text in GitHub markdown?",
            "Why does my git push fail with permission denied?",
            "I want to talk to a person",
            "the planet is round",
            "is billing monthly or yearly?",
            "What is the best way to remove my facebook account?",
            "I want to delete all mail from my gmail account.",
            "I forgot my password and can't log in to my account",
            "I want to get rid of my facebook account, how do I do it"})
    void aQuestionAnyoneMayAskIsNot(String text) {
        assertThat(AccountQuestion.isAccountSpecific(text)).isFalse();
    }

    /** The 869 questions of the StackExchange FAQ set are how-to questions anyone may ask ("my facebook account"). */
    @Test
    void almostNoQuestionOfAGeneralFaqIsHeldBack() throws Exception {
        Path questions = Path.of(System.getProperty("keel.root", ".."), "../shared/data/stackfaq/questions.jsonl");
        assumeTrue(Files.exists(questions), "the shared evaluation data is not next to the checkout");
        List<String> flagged = Files.readAllLines(questions).stream().map(l -> new JsonObject(l).getString("question"))
                .filter(AccountQuestion::isAccountSpecific).toList();
        assertThat(flagged).as("flagged as account-specific").hasSizeLessThanOrEqualTo(4);
    }
}
