package dev.keel.kb;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** CASES K-TEXT-ANALYSIS: each article is cut into terms the way its language needs. */
class LanguageAnalysisTest {
    private static KnowledgeBase kb;

    @BeforeAll
    static void build() throws Exception {
        kb = KnowledgeBase.of(List.of(
                new Article("en-pay", "Paying your invoices", "en", List.of(), null, "We accept cards. Payments are charged monthly."),
                new Article("ja-pw", "パスワードの再設定", "ja", List.of(), null, "パスワードを忘れた場合は、ログイン画面の「再設定」を押してください。"),
                new Article("zh-pw", "如何重置密码", "zh", List.of(), null, "在登录页面点击忘记密码,然后按照邮件中的步骤重置密码。"),
                new Article("ko-pw", "비밀번호 재설정", "ko", List.of(), null, "로그인 화면에서 비밀번호 찾기를 누르세요."),
                new Article("de-rechnung", "Rechnung herunterladen", "de", List.of(), null, "Die Rechnung finden Sie im Kundenkonto.")));
    }

    @AfterAll
    static void close() throws Exception {
        kb.close();
    }

    @Test
    void familiesFollowTheLocale() {
        assertThat(LanguageAnalysis.Family.of("en-GB")).isEqualTo(LanguageAnalysis.Family.EN);
        assertThat(LanguageAnalysis.Family.of("ja")).isEqualTo(LanguageAnalysis.Family.CJK);
        assertThat(LanguageAnalysis.Family.of("zh_Hant")).isEqualTo(LanguageAnalysis.Family.CJK);
        assertThat(LanguageAnalysis.Family.of("ko")).isEqualTo(LanguageAnalysis.Family.CJK);
        assertThat(LanguageAnalysis.Family.of("de")).isEqualTo(LanguageAnalysis.Family.STD);
    }

    @Test
    void englishIsStemmedAndQuestionWordsDropped() {
        assertThat(kb.analyze("How do I pay my invoice payments?")).containsExactly("pai", "invoic", "payment");
        assertThat(firstLexical("invoice payment")).isEqualTo("en-pay");
    }

    @Test
    void cjkTextIsCutIntoBigramsSoMultiCharacterWordsMatch() {
        try (LanguageAnalysis analysis = new LanguageAnalysis()) {
            assertThat(analysis.terms(LanguageAnalysis.Family.CJK, "重置密码", 10)).containsExactly("重置", "置密", "密码");
        }
        // a whole-sentence Chinese article is found by a two-word question written without spaces
        assertThat(firstLexical("重置密码")).isEqualTo("zh-pw");
        assertThat(firstLexical("パスワード再設定")).isEqualTo("ja-pw");
        assertThat(firstLexical("비밀번호")).isEqualTo("ko-pw");
    }

    @Test
    void otherLanguagesUseWordBoundariesWithoutEnglishStemming() {
        assertThat(firstLexical("Rechnung")).isEqualTo("de-rechnung");
        assertThat(kb.search("Rechnung", 3, KnowledgeBase.Mode.BM25).answerability()).isGreaterThan(0.5);
    }

    private static String firstLexical(String question) {
        List<SearchHit> hits = kb.search(question, 3, KnowledgeBase.Mode.BM25).hits();
        assertThat(hits).as("hits for %s", question).isNotEmpty();
        return hits.get(0).articleId();
    }
}
