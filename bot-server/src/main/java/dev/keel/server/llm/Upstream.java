package dev.keel.server.llm;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The configured provider, reached through LangChain4j. Each attempt gets its own model object on
 * its own {@link UpstreamHttpClient} (cheap: the JDK client and its connections are shared), so
 * that the attempt can be cancelled on its own. LangChain4j's retries are off: {@link LlmClient}
 * decides about retries alone, so that they are never multiplied.
 */
final class Upstream implements AutoCloseable {
    private final LlmSettings settings;
    private final java.net.http.HttpClient http;
    private final ExecutorService readers;

    Upstream(LlmSettings settings) {
        this.settings = settings;
        AtomicInteger threads = new AtomicInteger();
        this.readers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "keel-llm-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.http = java.net.http.HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
                .version(java.net.http.HttpClient.Version.HTTP_1_1).executor(readers).build();
    }

    /** Something that can be cut short. */
    interface Exchange {
        void cancel();
    }

    /**
     * Starts one attempt. The handler hears each piece of text, then exactly one of completion or
     * error (later signals of an abandoned attempt may still arrive and are to be ignored).
     *
     * @param stream true to stream the reply; false asks for the whole reply at once
     */
    Exchange start(List<ChatMessage> messages, boolean stream, StreamingChatResponseHandler handler) {
        UpstreamHttpClient client = new UpstreamHttpClient(http, settings.firstTokenTimeout(), readers);
        UpstreamHttpClient.Builder transport = new UpstreamHttpClient.Builder(client);
        ChatRequest request = ChatRequest.builder().messages(messages).maxOutputTokens(settings.replyTokens()).build();
        if (stream) {
            streaming(transport).chat(request, handler);
        } else {
            ChatModel model = blocking(transport);
            readers.execute(() -> {
                ChatResponse response;
                try {
                    response = model.chat(request);
                } catch (RuntimeException e) {
                    handler.onError(e);
                    return;
                }
                String text = response.aiMessage() == null ? null : response.aiMessage().text();
                if (text != null && !text.isEmpty()) {
                    handler.onPartialResponse(text);
                }
                handler.onCompleteResponse(response);
            });
        }
        return client::cancel;
    }

    private StreamingChatModel streaming(UpstreamHttpClient.Builder transport) {
        if ("ollama".equals(settings.provider())) {
            return OllamaStreamingChatModel.builder().httpClientBuilder(transport).baseUrl(settings.baseUrl())
                    .modelName(settings.model()).numCtx(settings.contextTokens()).logRequests(false).build();
        }
        return OpenAiStreamingChatModel.builder().httpClientBuilder(transport).baseUrl(settings.baseUrl())
                .apiKey(apiKey()).modelName(settings.model()).logRequests(false).logResponses(false).build();
    }

    private ChatModel blocking(UpstreamHttpClient.Builder transport) {
        if ("ollama".equals(settings.provider())) {
            return OllamaChatModel.builder().httpClientBuilder(transport).baseUrl(settings.baseUrl())
                    .modelName(settings.model()).numCtx(settings.contextTokens()).maxRetries(0).logRequests(false).build();
        }
        return OpenAiChatModel.builder().httpClientBuilder(transport).baseUrl(settings.baseUrl())
                .apiKey(apiKey()).modelName(settings.model()).maxRetries(0).logRequests(false).logResponses(false).build();
    }

    /** OpenAI-compatible servers that need no key still get a header; LangChain4j requires one. */
    private String apiKey() {
        String key = settings.apiKey();
        return key == null || key.isBlank() ? "unused" : key;
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }
}
