//! Keyed PIN hashing: Argon2id with a server secret (pepper) kept outside the database.
//!
//! A stored hash is a PHC string that names the pepper key it was made with:
//!
//! ```text
//! $argon2id$v=19$m=19456,t=2,p=1,keyid=k1$<salt, base64>$<hash, base64>
//! ```
//!
//! so keys can rotate: a hash made with an older key still verifies, and
//! [`PinHasher::needs_rehash`] tells the sign-in use case to re-hash with the current key.
//! A database stolen without the key file gives an attacker nothing to test guesses against.

use std::cell::RefCell;
use std::fmt;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use crate::pin::Pin;

/// Length of the random salt of each hash.
const SALT_LENGTH: usize = 16;
/// Length of the Argon2id output.
const OUTPUT_LENGTH: usize = 32;
/// Length of a pepper key.
pub const PEPPER_LENGTH: usize = 32;

/// A stored PIN hash in PHC string format. Not a secret on its own (it is keyed), but
/// still kept out of `Debug` output: nothing gains from printing it.
#[derive(Clone, PartialEq, Eq)]
pub struct PinHash(String);

impl PinHash {
    /// Wraps a stored PHC string; it is parsed when verified.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The PHC string, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinHash(..)")
    }
}

/// Errors of PIN hashing.
#[derive(Debug, Error)]
pub enum HashError {
    /// The stored hash is not a PHC string this hasher understands.
    #[error("stored PIN hash is malformed: {0}")]
    Malformed(&'static str),
    /// The stored hash names a pepper key that is not configured.
    #[error("stored PIN hash uses pepper key {0:?}, which is not configured")]
    UnknownKey(String),
    /// Argon2 refused its parameters.
    #[error("Argon2 failed: {0}")]
    Argon2(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The threads that run the hashes have stopped (the service is shutting down).
    #[error("the PIN hashing threads have stopped")]
    Stopped,
}

/// Whether a PIN matched a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// The PIN is the one hashed.
    Match,
    /// It is not.
    Mismatch,
}

/// The port for hashing PINs. Implementations must compare in constant time.
///
/// Hashing is deliberately slow (tens of milliseconds of CPU): adapters that serve many
/// requests run it off the async executor's workers. [`Argon2Hasher`] computes inline, on the
/// calling thread (the core has no runtime); the binary hands each hash to a small pool of
/// dedicated threads and awaits the answer.
///
/// PINs and administrators' passwords go through the same keyed Argon2id: the `*_secret`
/// methods take any secret's bytes, the PIN methods are those applied to a PIN.
#[async_trait]
pub trait PinHasher: Send + Sync {
    /// Hashes a PIN with a fresh salt and the current key.
    async fn hash(&self, pin: &Pin) -> Result<PinHash, HashError> {
        self.hash_secret(pin.expose().as_bytes()).await
    }
    /// Checks a PIN against a stored hash.
    async fn verify(&self, pin: &Pin, hash: &PinHash) -> Result<Verification, HashError> {
        self.verify_secret(pin.expose().as_bytes(), hash).await
    }
    /// Spends the time of one verification without a stored hash, so that an unknown
    /// mailbox answers in the same time as a known one.
    async fn verify_decoy(&self, pin: &Pin) {
        self.verify_decoy_secret(pin.expose().as_bytes()).await
    }
    /// Hashes a secret (a password) with a fresh salt and the current key.
    async fn hash_secret(&self, secret: &[u8]) -> Result<PinHash, HashError>;
    /// Checks a secret against a stored hash.
    async fn verify_secret(&self, secret: &[u8], hash: &PinHash) -> Result<Verification, HashError>;
    /// Spends the time of one verification of `secret` without a stored hash.
    async fn verify_decoy_secret(&self, secret: &[u8]);
    /// Whether a hash was made with an older key or other parameters than the current ones.
    fn needs_rehash(&self, hash: &PinHash) -> bool;
}

/// One pepper key and its identifier.
pub struct PepperKey {
    id: String,
    secret: Zeroizing<[u8; PEPPER_LENGTH]>,
}

impl PepperKey {
    /// A key with an identifier of 1-16 letters, digits or dashes.
    pub fn new(id: &str, secret: [u8; PEPPER_LENGTH]) -> Result<Self, HashError> {
        let valid_id = !id.is_empty() && id.len() <= 16 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid_id {
            return Err(HashError::Malformed("a pepper key id is 1-16 letters, digits or dashes"));
        }
        Ok(Self { id: id.to_owned(), secret: Zeroizing::new(secret) })
    }

    /// A new random key.
    pub fn generate(id: &str) -> Result<Self, HashError> {
        let mut secret = [0u8; PEPPER_LENGTH];
        getrandom::fill(&mut secret).map_err(|_| HashError::Random)?;
        let key = Self::new(id, secret);
        secret.zeroize();
        key
    }

    /// The key's identifier.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key's secret bytes, for writing the key file.
    pub fn secret(&self) -> &[u8; PEPPER_LENGTH] {
        &self.secret
    }
}

impl fmt::Debug for PepperKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PepperKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Cost {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

/// Argon2id keyed with a pepper; the implementation of [`PinHasher`].
pub struct Argon2Hasher {
    /// All keys that can verify; `keys[current]` hashes.
    keys: Vec<PepperKey>,
    current: usize,
    cost: Argon2Cost,
    params: Params,
}

impl fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("current_key", &self.keys[self.current].id)
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl Argon2Hasher {
    /// A hasher whose last key is the current one; the others still verify old hashes.
    pub fn new(keys: Vec<PepperKey>, cost: Argon2Cost) -> Result<Self, HashError> {
        if keys.is_empty() {
            return Err(HashError::Malformed("at least one pepper key is needed"));
        }
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(OUTPUT_LENGTH))
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        let current = keys.len() - 1;
        Ok(Self { keys, current, cost, params })
    }

    /// The id of the key new hashes are made with.
    pub fn current_key_id(&self) -> &str {
        &self.keys[self.current].id
    }

    /// Hashes a PIN on the calling thread (it blocks for the whole hash).
    pub fn hash_blocking(&self, pin: &Pin) -> Result<PinHash, HashError> {
        self.hash_secret_blocking(pin.expose().as_bytes())
    }

    /// Verifies a PIN on the calling thread (it blocks for the whole hash).
    pub fn verify_blocking(&self, pin: &Pin, hash: &PinHash) -> Result<Verification, HashError> {
        self.verify_secret_blocking(pin.expose().as_bytes(), hash)
    }

    /// [`PinHasher::hash_secret`] on the calling thread.
    pub fn hash_secret_blocking(&self, secret: &[u8]) -> Result<PinHash, HashError> {
        let mut salt = [0u8; SALT_LENGTH];
        getrandom::fill(&mut salt).map_err(|_| HashError::Random)?;
        let key = &self.keys[self.current];
        let output = self.compute(key, self.params.clone(), secret, &salt)?;
        let Argon2Cost { memory_kib, iterations, parallelism } = self.cost;
        Ok(PinHash(format!(
            "$argon2id$v=19$m={memory_kib},t={iterations},p={parallelism},keyid={}${}${}",
            key.id,
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(output.as_slice()),
        )))
    }

    /// [`PinHasher::verify_secret`] on the calling thread.
    pub fn verify_secret_blocking(&self, secret: &[u8], hash: &PinHash) -> Result<Verification, HashError> {
        let stored = StoredHash::parse(&hash.0)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == stored.key_id)
            .ok_or_else(|| HashError::UnknownKey(stored.key_id.to_owned()))?;
        let params =
            Params::new(stored.cost.memory_kib, stored.cost.iterations, stored.cost.parallelism, Some(OUTPUT_LENGTH))
                .map_err(|e| HashError::Argon2(e.to_string()))?;
        let output = self.compute(key, params, secret, &stored.salt)?;
        if output.as_slice().ct_eq(&stored.output).into() {
            Ok(Verification::Match)
        } else {
            Ok(Verification::Mismatch)
        }
    }

    /// [`PinHasher::verify_decoy_secret`] on the calling thread.
    pub fn verify_decoy_secret_blocking(&self, secret: &[u8]) {
        let salt = [0u8; SALT_LENGTH];
        // The result is thrown away: only the time spent matters.
        let _ = self.compute(&self.keys[self.current], self.params.clone(), secret, &salt);
    }

    /// Runs Argon2id in this thread's scratch memory (see [`SCRATCH`]).
    fn compute(
        &self,
        key: &PepperKey,
        params: Params,
        secret: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; OUTPUT_LENGTH]>, HashError> {
        let blocks = params.block_count();
        let argon2 = Argon2::new_with_secret(key.secret.as_slice(), Algorithm::Argon2id, Version::V0x13, params)
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        let mut output = Zeroizing::new([0u8; OUTPUT_LENGTH]);
        let hashed = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut memory) => {
                memory.resize(blocks, Block::new());
                argon2.hash_password_into_with_memory(secret, salt, output.as_mut_slice(), memory.as_mut_slice())
            }
            // Not reached (a hash does not start another), but a fresh allocation is correct too.
            Err(_) => argon2.hash_password_into(secret, salt, output.as_mut_slice()),
        });
        hashed.map_err(|e| HashError::Argon2(e.to_string()))?;
        Ok(output)
    }
}

thread_local! {
    /// Argon2's working memory (m KiB: 19 MiB at the default cost), kept per thread from one
    /// hash to the next. Allocating it fresh for every hash means 19 MiB of new pages to
    /// fault in each time, which under load costs about as much as the hash itself. It grows
    /// to the largest cost this thread has hashed at (an old hash may have another m) and
    /// lives as long as the thread: the binary hashes on a fixed pool of threads, so the
    /// memory is bounded by the pool's size.
    static SCRATCH: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

#[async_trait]
impl PinHasher for Argon2Hasher {
    async fn hash_secret(&self, secret: &[u8]) -> Result<PinHash, HashError> {
        self.hash_secret_blocking(secret)
    }

    async fn verify_secret(&self, secret: &[u8], hash: &PinHash) -> Result<Verification, HashError> {
        self.verify_secret_blocking(secret, hash)
    }

    async fn verify_decoy_secret(&self, secret: &[u8]) {
        self.verify_decoy_secret_blocking(secret)
    }

    fn needs_rehash(&self, hash: &PinHash) -> bool {
        match StoredHash::parse(&hash.0) {
            Ok(stored) => stored.key_id != self.keys[self.current].id || stored.cost != self.cost,
            Err(_) => true,
        }
    }
}

/// The parts of a stored PHC string.
struct StoredHash<'a> {
    cost: Argon2Cost,
    key_id: &'a str,
    salt: Vec<u8>,
    output: Vec<u8>,
}

impl<'a> StoredHash<'a> {
    fn parse(text: &'a str) -> Result<Self, HashError> {
        let mut parts = text.split('$');
        let (Some(""), Some("argon2id"), Some("v=19"), Some(params), Some(salt), Some(output), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HashError::Malformed("not an argon2id v=19 PHC string"));
        };
        let mut cost = Argon2Cost { memory_kib: 0, iterations: 0, parallelism: 0 };
        let mut key_id = None;
        for param in params.split(',') {
            let (name, value) = param.split_once('=').ok_or(HashError::Malformed("parameter without a value"))?;
            let number = || value.parse::<u32>().map_err(|_| HashError::Malformed("parameter is not a number"));
            match name {
                "m" => cost.memory_kib = number()?,
                "t" => cost.iterations = number()?,
                "p" => cost.parallelism = number()?,
                "keyid" => key_id = Some(value),
                _ => return Err(HashError::Malformed("unknown parameter")),
            }
        }
        let key_id = key_id.ok_or(HashError::Malformed("no keyid parameter"))?;
        let decode = |part: &str| STANDARD_NO_PAD.decode(part).map_err(|_| HashError::Malformed("bad base64"));
        let output = decode(output)?;
        if output.len() != OUTPUT_LENGTH {
            return Err(HashError::Malformed("hash has the wrong length"));
        }
        Ok(Self { cost, key_id, salt: decode(salt)?, output })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: the tests check behaviour, not cost.
    pub(crate) fn cheap() -> Argon2Cost {
        Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 }
    }

    fn hasher(ids: &[&str]) -> Argon2Hasher {
        let keys = ids.iter().map(|id| PepperKey::new(id, [id.len() as u8; 32]).unwrap()).collect();
        Argon2Hasher::new(keys, cheap()).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_pin_only() {
        let hasher = hasher(&["k1"]);
        let hash = hasher.hash_blocking(&Pin::new("1985848")).unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1,keyid=k1$"));
        assert_eq!(hasher.verify_blocking(&Pin::new("1985848"), &hash).unwrap(), Verification::Match);
        assert_eq!(hasher.verify_blocking(&Pin::new("1985849"), &hash).unwrap(), Verification::Mismatch);
        assert!(!hash.as_str().contains("1985848"));
        assert_eq!(format!("{hash:?}"), "PinHash(..)");
    }

    #[test]
    fn salts_differ() {
        let hasher = hasher(&["k1"]);
        let pin = Pin::new("482913");
        assert_ne!(hasher.hash_blocking(&pin).unwrap(), hasher.hash_blocking(&pin).unwrap());
    }

    #[test]
    fn the_pepper_is_part_of_the_hash() {
        let one = Argon2Hasher::new(vec![PepperKey::new("k1", [1; 32]).unwrap()], cheap()).unwrap();
        let other = Argon2Hasher::new(vec![PepperKey::new("k1", [2; 32]).unwrap()], cheap()).unwrap();
        let hash = one.hash_blocking(&Pin::new("482913")).unwrap();
        assert_eq!(other.verify_blocking(&Pin::new("482913"), &hash).unwrap(), Verification::Mismatch);
    }

    #[test]
    fn keys_rotate() {
        let old = hasher(&["k1"]);
        let hash = old.hash_blocking(&Pin::new("482913")).unwrap();
        let rotated = hasher(&["k1", "k2"]);
        assert_eq!(rotated.verify_blocking(&Pin::new("482913"), &hash).unwrap(), Verification::Match);
        assert!(rotated.needs_rehash(&hash));
        assert!(!old.needs_rehash(&hash));
        let new_hash = rotated.hash_blocking(&Pin::new("482913")).unwrap();
        assert!(new_hash.as_str().contains("keyid=k2"));
        let without_old = hasher(&["k2"]);
        assert!(matches!(without_old.verify_blocking(&Pin::new("482913"), &hash), Err(HashError::UnknownKey(_))));
    }

    #[test]
    fn changed_cost_asks_for_a_rehash() {
        let hasher = hasher(&["k1"]);
        let hash = hasher.hash_blocking(&Pin::new("482913")).unwrap();
        let stronger =
            Argon2Hasher::new(vec![PepperKey::new("k1", [2; 32]).unwrap()], Argon2Cost { memory_kib: 128, ..cheap() })
                .unwrap();
        assert!(stronger.needs_rehash(&hash));
    }

    #[test]
    fn malformed_hashes_are_errors() {
        let hasher = hasher(&["k1"]);
        for text in
            ["", "plain1234", "$argon2i$v=19$m=64,t=1,p=1,keyid=k1$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$AAAA$AAAA"]
        {
            assert!(hasher.verify_blocking(&Pin::new("1234"), &PinHash::from_stored(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn scratch_memory_serves_every_cost() {
        // One thread, hashes of different m in turn: the scratch memory grows and is reused,
        // and each verifies as a fresh computation would.
        let small = hasher(&["k1"]);
        let large =
            Argon2Hasher::new(vec![PepperKey::new("k1", [2; 32]).unwrap()], Argon2Cost { memory_kib: 256, ..cheap() })
                .unwrap();
        let pin = Pin::new("482913");
        let small_hash = small.hash_blocking(&pin).unwrap();
        let large_hash = large.hash_blocking(&pin).unwrap();
        assert!(large_hash.as_str().contains("m=256,"));
        for _ in 0..2 {
            assert_eq!(small.verify_blocking(&pin, &small_hash).unwrap(), Verification::Match);
            assert_eq!(large.verify_blocking(&pin, &large_hash).unwrap(), Verification::Match);
            assert_eq!(large.verify_blocking(&Pin::new("482914"), &large_hash).unwrap(), Verification::Mismatch);
        }
        // The same as Argon2 over freshly allocated memory.
        let stored = StoredHash::parse(large_hash.as_str()).unwrap();
        let params = Params::new(256, 1, 1, Some(OUTPUT_LENGTH)).unwrap();
        let argon2 = Argon2::new_with_secret(&[2; 32], Algorithm::Argon2id, Version::V0x13, params).unwrap();
        let mut fresh = [0u8; OUTPUT_LENGTH];
        argon2.hash_password_into(b"482913", &stored.salt, &mut fresh).unwrap();
        assert_eq!(fresh.as_slice(), stored.output.as_slice());
    }

    #[tokio::test]
    async fn the_port_is_the_blocking_computation() {
        let hasher = hasher(&["k1"]);
        let port: &dyn PinHasher = &hasher;
        let hash = port.hash(&Pin::new("1985848")).await.unwrap();
        assert_eq!(port.verify(&Pin::new("1985848"), &hash).await.unwrap(), Verification::Match);
        assert_eq!(hasher.verify_blocking(&Pin::new("1985849"), &hash).unwrap(), Verification::Mismatch);
        port.verify_decoy(&Pin::new("1985848")).await;
    }

    #[test]
    fn key_ids_are_restricted() {
        assert!(PepperKey::new("", [0; 32]).is_err());
        assert!(PepperKey::new("k$1", [0; 32]).is_err());
        assert!(PepperKey::new("2026-11-k1", [0; 32]).is_ok());
    }
}
