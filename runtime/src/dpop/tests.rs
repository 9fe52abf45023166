// What a proof says and how it is signed, checked as a server would check it: the parts
// decoded, the signature verified with the public key from the proof's own header.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, Method, StatusCode};
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::nonces::{DPOP_NONCE, Server};
use super::proof::{self, ath};
use super::resource::{answered, authorize};
use super::{DpopKey, DpopKeyError};
use crate::{NonceDemand, Token};

const EC_PEM: &str = include_str!("../oauth/test_keys/ec_private.pem");
const RSA_PEM: &str = include_str!("../oauth/test_keys/rsa_private.pem");

fn b64_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The proof's header and claims, after checking its signature with the header's `jwk`.
fn verified(proof: &str) -> (Value, Value) {
    let parts: Vec<&str> = proof.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    let header = b64_json(parts[0]);
    let jwk = &header["jwk"];
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    let field = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let result = match header["alg"].as_str().unwrap() {
        "ES256" => {
            let mut point = vec![4];
            point.extend(field("x"));
            point.extend(field("y"));
            ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(signed.as_bytes(), &signature)
        }
        "EdDSA" => ring::signature::UnparsedPublicKey::new(&ED25519, field("x"))
            .verify(signed.as_bytes(), &signature),
        "RS256" => ring::signature::RsaPublicKeyComponents {
            n: field("n"),
            e: field("e"),
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature),
        other => panic!("unexpected alg {other}"),
    };
    assert!(
        result.is_ok(),
        "the signature verifies with the header's jwk"
    );
    (header, b64_json(parts[1]))
}

/// RFC 7638: SHA-256 of the required members, sorted, without whitespace.
fn thumbprint_of(jwk: &Value) -> String {
    let required: &[&str] = match jwk["kty"].as_str().unwrap() {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        _ => &["e", "kty", "n"],
    };
    let members: BTreeMap<&str, &Value> =
        required.iter().map(|name| (*name, &jwk[*name])).collect();
    URL_SAFE_NO_PAD.encode(Sha256::digest(serde_json::to_vec(&members).unwrap()))
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn a_proof_says_what_rfc_9449_asks_and_verifies_with_its_own_jwk() {
    for key in [
        DpopKey::generate().unwrap(),
        DpopKey::generate_ed25519().unwrap(),
        DpopKey::from_pem(RSA_PEM).unwrap(),
    ] {
        let made = proof::make(
            &key,
            Server::Resource,
            &Method::POST,
            &url("https://API.example:443/tasks/7?page=2#top"),
            Some("hash"),
        )
        .unwrap();
        assert!(made.header.is_sensitive());
        let (header, claims) = verified(made.header.to_str().unwrap());
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], key.algorithm());
        assert!(
            header["jwk"].get("d").is_none(),
            "no private member in the header"
        );
        assert_eq!(thumbprint_of(&header["jwk"]), key.thumbprint());
        assert_eq!(claims["htm"], "POST");
        assert_eq!(
            claims["htu"], "https://api.example/tasks/7",
            "no query, no fragment"
        );
        assert_eq!(claims["ath"], "hash");
        assert!(claims.get("nonce").is_none());
        let iat = claims["iat"].as_u64().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(iat.abs_diff(now) <= 5);
    }
}

#[test]
fn every_proof_has_its_own_jti() {
    let key = DpopKey::generate().unwrap();
    let target = url("https://api.example/tasks");
    let jtis: std::collections::HashSet<String> = (0..50)
        .map(|_| {
            let made = proof::make(&key, Server::Resource, &Method::GET, &target, None).unwrap();
            let (_, claims) = verified(made.header.to_str().unwrap());
            claims["jti"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 50);
    assert!(
        jtis.iter().all(|jti| jti.len() >= 22),
        "128 bits of randomness"
    );
}

#[test]
fn a_bound_token_sends_the_dpop_scheme_its_hash_and_the_resource_servers_nonce() {
    let key = DpopKey::generate().unwrap();
    let token = Token::builder("at-123")
        .token_type("DPoP")
        .dpop_key(key.clone())
        .build()
        .unwrap();
    assert!(token.dpop_key().unwrap().is_same(&key));
    let target = url("http://127.0.0.1:8080/tasks");
    // The authorization server's nonce on the same origin is not the resource server's.
    let mut as_answer = HeaderMap::new();
    as_answer.insert(DPOP_NONCE, "as-nonce".parse().unwrap());
    key.nonces().remember(
        Server::Authorization,
        "http://127.0.0.1:8080",
        as_answer.get(DPOP_NONCE),
    );

    let mut headers = HeaderMap::new();
    let sent = authorize(&token, Some((Method::GET, target.clone())), &mut headers).unwrap();
    assert_eq!(headers["authorization"], "DPoP at-123");
    let (_, claims) = verified(headers["dpop"].to_str().unwrap());
    assert_eq!(claims["ath"], ath("at-123"));
    assert!(claims.get("nonce").is_none(), "{claims}");

    let mut refusal = HeaderMap::new();
    refusal.insert(DPOP_NONCE, "rs-1".parse().unwrap());
    refusal.insert(
        "www-authenticate",
        r#"DPoP error="use_dpop_nonce", error_description="nonce required""#
            .parse()
            .unwrap(),
    );
    let demand = answered(&token, &sent, StatusCode::UNAUTHORIZED, &refusal);
    assert_eq!(demand, NonceDemand::New);

    let sent = authorize(&token, Some((Method::GET, target.clone())), &mut headers).unwrap();
    let (_, claims) = verified(headers["dpop"].to_str().unwrap());
    assert_eq!(claims["nonce"], "rs-1");
    // The same nonce refused again: a resend would loop.
    let demand = answered(&token, &sent, StatusCode::UNAUTHORIZED, &refusal);
    assert_eq!(demand, NonceDemand::Repeated);
}

#[test]
fn a_bearer_answer_ignores_the_key() {
    let key = DpopKey::generate().unwrap();
    let token = Token::builder("at").dpop_key(key).build().unwrap();
    assert!(token.dpop_key().is_none());
    assert!(!token.is_dpop_bound());
    let proof = token
        .dpop_proof(&Method::GET, &url("https://api.example/"))
        .unwrap();
    assert!(proof.is_none());
    let mut headers = HeaderMap::new();
    let target = Some((Method::GET, url("https://api.example/")));
    authorize(&token, target, &mut headers).unwrap();
    assert_eq!(headers["authorization"], "Bearer at");
    assert!(headers.get("dpop").is_none());
}

#[test]
fn keys_load_from_pkcs8_pem_and_jwk_and_come_back_from_their_stored_text() {
    let ec = DpopKey::from_pem(EC_PEM).unwrap();
    assert_eq!(ec.algorithm(), "ES256");
    let ed = DpopKey::generate_ed25519().unwrap();
    for key in [ec, ed, DpopKey::from_pem(RSA_PEM).unwrap()] {
        let again = DpopKey::from_private_text(key.private_text()).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
        assert!(!format!("{key:?}").contains(key.private_text()));
    }
    // The same P-256 key as a private JWK: `d` and the point, read out of the PKCS#8 DER
    // (OpenSSL's layout: `ECPrivateKey` version 1, then the 32-byte scalar; the public key
    // as a 66-byte BIT STRING).
    let der = pem::parse(EC_PEM).unwrap().into_contents();
    let after = |marker: &[u8], len: usize| {
        let at = der.windows(marker.len()).position(|w| w == marker).unwrap() + marker.len();
        URL_SAFE_NO_PAD.encode(&der[at..at + len])
    };
    let (d, point) = (after(&[2, 1, 1, 4, 32], 32), after(&[3, 66, 0, 4], 64));
    let point = URL_SAFE_NO_PAD.decode(point).unwrap();
    let (x, y) = (
        URL_SAFE_NO_PAD.encode(&point[..32]),
        URL_SAFE_NO_PAD.encode(&point[32..]),
    );
    let jwk = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","d":"{d}"}}"#);
    let key = DpopKey::from_jwk(&jwk).unwrap();
    assert_eq!(key.algorithm(), "ES256");
    assert_eq!(
        key.thumbprint(),
        DpopKey::from_pem(EC_PEM).unwrap().thumbprint()
    );
    assert_eq!(
        DpopKey::from_private_text(key.private_text())
            .unwrap()
            .thumbprint(),
        key.thumbprint()
    );
    assert_eq!(
        key.thumbprint(),
        thumbprint_of(&serde_json::from_str(&key.public_jwk()).unwrap())
    );
}

#[test]
fn bad_keys_are_refused_with_what_to_do_and_never_quoted() {
    let message = |result: Result<DpopKey, DpopKeyError>| result.unwrap_err().to_string();
    assert!(message(DpopKey::from_pem("not pem")).contains("not a PEM block"));
    let sec1 = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
    assert!(message(DpopKey::from_pem(sec1)).contains("openssl pkcs8 -topk8"));
    let public = include_str!("../oauth/test_keys/ec_public.pem");
    assert!(message(DpopKey::from_pem(public)).contains("not a private key"));
    let public_jwk = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
    assert!(message(DpopKey::from_jwk(public_jwk)).contains("no `d`"));
    let wrong_d = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"c2VjcmV0LXNjYWxhci10aGF0LWRvZXMtbm90LW1hdGNo"}"#;
    let wrong = message(DpopKey::from_jwk(wrong_d));
    assert!(wrong.contains("not a valid key pair"), "{wrong}");
    assert!(!wrong.contains("c2VjcmV0"));
    assert!(message(DpopKey::from_jwk(r#"{"kty":"oct","k":"c2VjcmV0"}"#)).contains("\"oct\""));
}

#[test]
fn a_store_keeps_the_key_of_a_bound_token() {
    let key = DpopKey::generate().unwrap();
    let token = Token::builder("at")
        .token_type("DPoP")
        .refresh_token("rt")
        .dpop_key(key.clone())
        .build()
        .unwrap();
    let json = crate::store::saved::to_json(&token);
    let loaded = crate::store::saved::from_json(&json).unwrap();
    let loaded_key = loaded.dpop_key().expect("still bound");
    assert_eq!(loaded_key.thumbprint(), key.thumbprint());
    assert_eq!(loaded.authorization(), "DPoP at");

    let bearer = Token::builder("at").build().unwrap();
    let json = crate::store::saved::to_json(&bearer);
    assert!(!String::from_utf8_lossy(&json).contains("dpop_key"));
}
