package dev.keel.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Decides who a widget visitor is. The company's backend signs the customer's id as a JWT
 * ({@code sub}, {@code aud}, {@code exp}); Keel believes a customer id only with a valid signature
 * from a configured key. HS256 keys are shared secrets; RS256 and ES256 keys are public keys from a
 * JWKS file, picked by {@code kid} so that keys can be rotated. An algorithm never chooses the key
 * type: an HMAC token is checked only against secret keys, so a public key cannot be abused as an
 * HMAC secret, and unsigned ({@code alg: none}) tokens are refused outright.
 *
 * <p>A visitor without a valid token can still chat, but as nobody in particular: their claimed id is
 * kept apart and nothing reads it (no churn score, no history).
 */
final class CustomerIdentity {
    private static final Logger LOG = LoggerFactory.getLogger(CustomerIdentity.class);
    /** How far the clocks of the signer and Keel may disagree. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    /** Identity tokens signed by the development signer live this long. */
    private static final Duration DEMO_TOKEN_LIFE = Duration.ofMinutes(10);
    private static final int MAX_TOKEN_CHARS = 8192;

    /**
     * Who opened a conversation.
     *
     * @param customerId        the verified customer id, or null for an anonymous or unverified visitor
     * @param claimedCustomerId an id the visitor asserted without proof; recorded, never trusted
     */
    record Who(String customerId, String claimedCustomerId) {
        static final Who ANONYMOUS = new Who(null, null);

        boolean verified() {
            return customerId != null;
        }
    }

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final String audience;
    private final boolean required;
    private final boolean trustUnverified;
    /** Signs demo identity tokens; null unless the development signer is on. */
    private final MACSigner demoSigner;

    private CustomerIdentity(JWKSet keys, String audience, boolean required, boolean trustUnverified, MACSigner demoSigner) {
        this.audience = audience;
        this.required = required;
        this.trustUnverified = trustUnverified;
        this.demoSigner = demoSigner;
        if (keys == null || keys.isEmpty()) {
            this.processor = null;
        } else {
            DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
            p.setJWSKeySelector(new JWSVerificationKeySelector<>(
                    Set.of(JWSAlgorithm.HS256, JWSAlgorithm.RS256, JWSAlgorithm.ES256), new ImmutableJWKSet<>(keys)));
            // claims are checked below, each failure with its own code
            p.setJWTClaimsSetVerifier((claims, context) -> { });
            this.processor = p;
        }
    }

    /** Builds the verifier from the settings: the secret file, the JWKS file, or both. */
    static CustomerIdentity from(SecuritySettings settings) throws IOException, ParseException, JOSEException {
        List<com.nimbusds.jose.jwk.JWK> keys = new ArrayList<>();
        if (settings.identityKeysFile() != null) {
            keys.addAll(JWKSet.load(settings.identityKeysFile().toFile()).getKeys());
        }
        if (settings.identitySecretFile() != null) {
            // the file's text without surrounding white space, so that a trailing newline is no part of the secret
            byte[] secret = Files.readString(settings.identitySecretFile(), StandardCharsets.UTF_8).strip()
                    .getBytes(StandardCharsets.UTF_8);
            keys.add(new OctetSequenceKey.Builder(secret).build());
        }
        MACSigner demo = null;
        if (settings.demoIdentitySigner()) {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            OctetSequenceKey demoKey = new OctetSequenceKey.Builder(secret).keyID("keel-demo").build();
            keys.add(demoKey);
            demo = new MACSigner(demoKey);
            LOG.warn("the demo identity signer is on: anyone can sign in as any customer; never use this in production");
        }
        for (com.nimbusds.jose.jwk.JWK key : keys) {
            if (key.isPrivate() && !(key instanceof OctetSequenceKey)) {
                throw new IllegalArgumentException("the identity keys must be public keys; key " + key.getKeyID() + " is private");
            }
            if (key instanceof OctetSequenceKey secret && secret.size() < 256) {
                throw new IllegalArgumentException("an HS256 identity secret must be at least 32 bytes long");
            }
        }
        if (settings.trustUnverifiedCustomerIds()) {
            LOG.warn("unverified customer ids are trusted: any visitor can claim to be any customer; development only");
        }
        return new CustomerIdentity(new JWKSet(keys), settings.identityAudience(), settings.requireVerifiedIdentity(),
                settings.trustUnverifiedCustomerIds(), demo);
    }

    /**
     * Who is opening a conversation, from the request's {@code identityToken} and {@code customerId}.
     *
     * @throws ApiException 401 for a token that does not verify, or for a bare customer id when verification is required
     */
    Who resolve(String identityToken, String customerId) {
        if (identityToken != null) {
            String subject = verify(identityToken);
            if (customerId != null && !customerId.equals(subject)) {
                throw unauthorized("identity_mismatch", "customerId is not the customer the identity token names");
            }
            return new Who(subject, null);
        }
        if (customerId == null) {
            return Who.ANONYMOUS;
        }
        if (required) {
            throw unauthorized("identity_required", "a customerId needs a signed identityToken");
        }
        return trustUnverified ? new Who(customerId, null) : new Who(null, customerId);
    }

    /** The verified customer id ({@code sub}) of an identity token. */
    String verify(String token) {
        if (processor == null) {
            throw unauthorized("identity_not_configured", "this Keel has no identity keys; identity tokens cannot be checked");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw unauthorized("identity_token_invalid", "the identity token is too long");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = processor.process(jwt, null);
        } catch (ParseException e) {
            throw unauthorized("identity_token_invalid", "the identity token is not a signed JWT");
        } catch (BadJOSEException | JOSEException e) {
            throw unauthorized("identity_token_invalid", "the identity token's signature does not verify with any configured key");
        }
        Date now = new Date();
        if (claims.getExpirationTime() == null) {
            throw unauthorized("identity_token_invalid", "the identity token has no expiry (exp)");
        }
        if (claims.getExpirationTime().toInstant().plus(CLOCK_SKEW).isBefore(now.toInstant())) {
            throw unauthorized("identity_token_expired", "the identity token has expired");
        }
        if (claims.getNotBeforeTime() != null && claims.getNotBeforeTime().toInstant().minus(CLOCK_SKEW).isAfter(now.toInstant())) {
            throw unauthorized("identity_token_invalid", "the identity token is not valid yet");
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(audience)) {
            throw unauthorized("identity_token_wrong_audience", "the identity token is not meant for this Keel");
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank()) {
            throw unauthorized("identity_token_invalid", "the identity token names no customer (sub)");
        }
        return subject;
    }

    boolean demoSignerOn() {
        return demoSigner != null;
    }

    /** Development only: signs a short-lived identity token for any customer id. */
    String signForDemo(String customerId) {
        if (demoSigner == null) {
            throw new ApiException(404, "not_found", "no such API route");
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(customerId).audience(audience)
                .expirationTime(new Date(System.currentTimeMillis() + DEMO_TOKEN_LIFE.toMillis())).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("keel-demo").build(), claims);
        try {
            jwt.sign(demoSigner);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    private static ApiException unauthorized(String code, String message) {
        return new ApiException(401, code, message);
    }
}
