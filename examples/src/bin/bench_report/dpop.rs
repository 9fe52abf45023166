//! Section 8: what a DPoP proof costs per request. Each proof is what a bound token's request
//! carries: a new `jti` from the OS's randomness, the claims, the header built once per key,
//! and the signature; the token's `ath` is hashed once per token, not here.

use std::fmt::Write as _;
use std::time::Instant;

use freshtoken::Token;
use freshtoken::dpop::DpopKey;
use serde_json::{Value, json};

use super::{Target, median};

/// Rounds, and proofs per round (a round of ES256 proofs takes some ms).
const ROUNDS: usize = 31;
const PROOFS: u32 = 200;
/// RSA signs two orders of magnitude slower: fewer proofs per round.
const RSA_PROOFS: u32 = 20;
/// The target for ES256, the default algorithm: a median of at most this many µs a proof.
const ES256_TARGET_US: f64 = 60.0;

const RSA_PEM: &str =
    include_str!("../../../../tests/examples/tests/integration/keys/test-only-rsa-private.pem");

pub(crate) struct DpopFigures {
    /// Median µs per proof, by algorithm.
    rows: Vec<(&'static str, f64)>,
}

/// Median µs per `Token::dpop_proof` for each algorithm.
pub(crate) fn dpop_proofs() -> DpopFigures {
    let keys = [
        (DpopKey::generate().expect("a P-256 key"), PROOFS),
        (DpopKey::generate_ed25519().expect("an Ed25519 key"), PROOFS),
        (
            DpopKey::from_pem(RSA_PEM).expect("the test RSA key"),
            RSA_PROOFS,
        ),
    ];
    let url = "https://api.example/v1/tasks/42?page=2"
        .parse()
        .expect("a URL");
    let rows = keys
        .into_iter()
        .map(|(key, proofs)| {
            let algorithm = key.algorithm();
            let token = Token::builder("a-bound-access-token-of-some-length-0123456789")
                .token_type("DPoP")
                .dpop_key(key)
                .build()
                .expect("a token");
            let samples = (0..ROUNDS)
                .map(|_| {
                    let started = Instant::now();
                    for _ in 0..proofs {
                        let proof = token.dpop_proof(&reqwest::Method::GET, &url);
                        std::hint::black_box(proof.expect("a proof"));
                    }
                    started.elapsed().as_secs_f64() * 1e6 / f64::from(proofs)
                })
                .collect();
            (algorithm, median(samples))
        })
        .collect();
    DpopFigures { rows }
}

impl DpopFigures {
    pub(crate) fn table(&self) -> String {
        let mut table = String::from(
            "\n8. DPoP proof per request (`Token::dpop_proof`: jti, claims, signature)\n\
             | algorithm | median per proof |\n|---|---|\n",
        );
        for (algorithm, us) in &self.rows {
            let _ = writeln!(table, "| {algorithm} | {us:.1} µs |");
        }
        table
    }

    fn es256_us(&self) -> f64 {
        self.rows
            .iter()
            .find(|(algorithm, _)| *algorithm == "ES256")
            .map_or(f64::INFINITY, |(_, us)| *us)
    }

    pub(crate) fn target(&self) -> Target {
        let us = self.es256_us();
        Target {
            name: "DPoP ES256 proof: median at most 60 µs",
            measured: format!("{us:.1} µs"),
            met: us <= ES256_TARGET_US,
        }
    }

    pub(crate) fn json(&self) -> Value {
        self.rows
            .iter()
            .map(|(algorithm, us)| json!({ "algorithm": algorithm, "median_us_per_proof": us }))
            .collect()
    }
}
