package dev.keel.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/** Keys and identity tokens as a company's backend would make them, good and bad, for the tests. */
final class IdentityTokens {
    static final String AUDIENCE = "keel-test";
    static final String SECRET = "a-shared-secret-of-at-least-thirty-two-bytes";
    final RSAKey rsa;
    final ECKey ec;
    final Path secretFile;
    final Path keysFile;

    IdentityTokens(Path folder) throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-2026").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-2026").generate();
        secretFile = folder.resolve("identity-secret");
        Files.writeString(secretFile, SECRET + "\n", StandardCharsets.UTF_8);
        keysFile = folder.resolve("identity-keys.json");
        Files.writeString(keysFile, new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
    }

    static String hs256(String secret, String subject, String audience, Duration expiresIn) throws JOSEException {
        return sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), new JWSHeader(JWSAlgorithm.HS256),
                subject, audience, expiresIn);
    }

    String rs256(String kid, String subject) throws JOSEException {
        return sign(new RSASSASigner(rsa), new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(),
                subject, AUDIENCE, Duration.ofMinutes(5));
    }

    String es256(String subject) throws JOSEException {
        return sign(new ECDSASigner(ec), new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(ec.getKeyID()).build(),
                subject, AUDIENCE, Duration.ofMinutes(5));
    }

    /** A token signed by a key Keel does not know, under the kid of one it does. */
    static String rs256WithStrangeKey(String kid, String subject) throws JOSEException {
        RSAKey stranger = new RSAKeyGenerator(2048).keyID(kid).generate();
        return sign(new RSASSASigner(stranger), new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(),
                subject, AUDIENCE, Duration.ofMinutes(5));
    }

    /** The classic confusion: an HS256 token whose secret is the published RSA public key. */
    String hs256WithPublicKeyAsSecret(String subject) throws JOSEException {
        byte[] publicKey = rsa.toPublicJWK().toRSAPublicKey().getEncoded();
        return sign(new MACSigner(publicKey), new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).build(),
                subject, AUDIENCE, Duration.ofMinutes(5));
    }

    /** An unsigned token ({@code alg: none}) claiming this customer. */
    static String unsigned(String subject) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString(("{\"sub\":\"" + subject + "\",\"aud\":\"" + AUDIENCE + "\",\"exp\":"
                + (Instant.now().getEpochSecond() + 300) + "}").getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + ".";
    }

    private static String sign(JWSSigner signer, JWSHeader header, String subject, String audience, Duration expiresIn)
            throws JOSEException {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(subject).audience(audience)
                .expirationTime(Date.from(Instant.now().plus(expiresIn))).build();
        SignedJWT jwt = new SignedJWT(header, claims);
        jwt.sign(signer);
        return jwt.serialize();
    }
}
