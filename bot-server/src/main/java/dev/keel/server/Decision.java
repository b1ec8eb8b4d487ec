package dev.keel.server;

/** What the bot does with a customer's turn. */
enum Decision {
    /** The bot answers. */
    ANSWER,
    /** The bot answers, or says it cannot, and offers a person. */
    ANSWER_AND_OFFER_HUMAN,
    /** The conversation goes to the queue for a person. */
    HANDOFF
}
