package dev.keel.server.llm;

/** Writes the reply to a question the knowledge base covers. Blocks: call it off the event loop. */
public interface Answerer {
    Answer answer(Question question, ReplyStream stream);
}
