//! Password hashing (argon2id, m = 19 MiB, t = 2, p = 1: OWASP's first recommended set) in a
//! fixed number of slots.
//!
//! Each hash needs 19 MiB. Run without a bound, a burst of 200 logins took the process to
//! 2.8 GB, and after it the allocator kept hundreds of MiB for good. So hashing runs in
//! `HASH_SLOTS` slots (default one per core), each with its memory allocated on first use
//! and reused for the hashes waiting behind it (argon2's `hash_password_into_with_memory`),
//! then freed when no hash is waiting, and the allocator (mimalloc: see `main.rs`; glibc's
//! kept such blocks in its thread arenas) gives it back to the system, so the service idles
//! at its small size; at most
//! `HASH_QUEUE` more wait for a slot, and a request beyond that is answered 503 with
//! `Retry-After` at once ([`Error::Busy`]). The hashing runs on the blocking pool, never on
//! an async worker, so other requests keep their latency while the slots are busy.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::web;
use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::password_hash::try_generate_salt;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::error::Error;

/// argon2id memory cost in KiB.
pub const ARGON2_M_KIB: u32 = 19 * 1024;
/// argon2id iterations.
pub const ARGON2_T: u32 = 2;
/// argon2id parallelism.
pub const ARGON2_P: u32 = 1;

/// Hash verified when a login names an unknown email, so that the answer takes as long as
/// for a known one (no account probing by timing). It is the hash of a random string.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Y29uZHVpdC1kdW1teQ$pLsXBeNKWiFbm8y+GEh+T7uOQPuSnF0s4qKK9KaQgHk";

/// The hashing slots of one process (share one across its workers).
#[derive(Debug)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    /// One memory per slot, allocated on first use; a slot's holder takes one out.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Requests holding or waiting for a slot.
    admitted: Arc<AtomicUsize>,
    /// Most requests holding or waiting for a slot.
    capacity: usize,
}

/// A request's place among the admitted; leaving it frees the place.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    /// `slots` hashes at once, `queue` more waiting.
    pub fn new(slots: usize, queue: usize) -> Self {
        let slots = slots.max(1);
        Self {
            slots: Arc::new(Semaphore::new(slots)),
            memory: Arc::new(Mutex::new(Vec::with_capacity(slots))),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: slots + queue,
        }
    }

    /// A new PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let salt = try_generate_salt().map_err(|e| Error::Internal(format!("salt: {e}")))?;
        let salt = Salt::new(&salt).map_err(|e| Error::Internal(format!("salt: {e}")))?;
        let params = params()?;
        let output = self
            .run(params.clone(), move |argon2, memory| {
                let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
                argon2
                    .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
                    .map_err(|e| Error::Internal(format!("hashing: {e}")))?;
                Ok((salt, out))
            })
            .await?;
        let (salt, out) = output;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&params)
                .try_into()
                .map_err(|e| Error::Internal(format!("parameters: {e}")))?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(|e| Error::Internal(format!("output: {e}")))?),
        };
        Ok(hash.to_string())
    }

    /// Whether `password` matches the PHC string `hash`; with no hash (an unknown account),
    /// the dummy hash is checked all the same and the answer is `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Error> {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| Error::Internal(format!("stored hash unreadable: {e}")))?;
        let params = Params::try_from(&parsed)
            .map_err(|e| Error::Internal(format!("stored hash parameters: {e}")))?;
        if params.block_count() > params_block_count()? {
            return Err(Error::Internal(
                "a stored hash needs more memory than a hashing slot has".into(),
            ));
        }
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(Error::Internal("stored hash has no salt or output".into()));
        };
        let matches = self
            .run(params, move |argon2, memory| {
                let mut out = vec![0u8; expected.len()];
                argon2
                    .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
                    .map_err(|e| Error::Internal(format!("verifying: {e}")))?;
                Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
            })
            .await?;
        Ok(known && matches)
    }

    /// Runs `work` with `params` in a slot, on the blocking pool; 503 at once when the slots
    /// and the queue are full. The slot and its memory belong to the blocking task, so a
    /// caller that goes away mid-hash (a closed connection) frees neither before the hash
    /// is done: cancelled requests cannot add hashes beyond the slots.
    async fn run<T: Send + 'static>(
        &self,
        params: Params,
        work: impl FnOnce(&Argon2<'static>, &mut [Block]) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Busy);
        }
        let _admitted = Admitted(&self.admitted);
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Error::Internal(format!("hashing slots: {e}")))?;
        let pool = self.memory.clone();
        let admitted = self.admitted.clone();
        web::block(move || {
            let mut memory = pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .unwrap_or_default();
            let blocks = params.block_count();
            if memory.len() < blocks {
                memory.resize(blocks, Block::new());
            }
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let result = work(&argon2, &mut memory[..blocks]);
            let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
            if admitted.load(Ordering::Acquire) > 1 {
                // Others wait: the next one takes this memory.
                pool.push(memory);
            } else {
                // The last hash of a burst: give every slot's memory back.
                pool.clear();
                drop(memory);
            }
            drop(pool);
            drop(slot);
            result
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }
}

fn params() -> Result<Params, Error> {
    Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))
}

fn params_block_count() -> Result<usize, Error> {
    Ok(params()?.block_count())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use argon2::PasswordVerifier;

    use super::*;

    #[actix_web::test]
    async fn hashes_verify_here_and_with_the_reference_implementation() {
        let passwords = Passwords::new(1, 0);
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("x".into(), None).await.unwrap());
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok(),
            "the argon2 crate's own verifier agrees"
        );
        // The demo data's hash, made by the argon2 crate's own hasher.
        let demo = "$argon2id$v=19$m=19456,t=2,p=1$Y29uZHVpdC1maXh0dXJlcw$RuN+TWACSXei2wywWvqxFj9bx65lsElUp1vmbshglUQ";
        assert!(
            passwords
                .verify("conduit-demo".into(), Some(demo.into()))
                .await
                .unwrap()
        );
        assert_eq!(
            passwords.memory.lock().unwrap().len(),
            0,
            "memory given back when no hash waits"
        );
    }

    #[actix_web::test]
    async fn a_caller_gone_mid_hash_keeps_its_slot_taken_until_the_hash_is_done() {
        let passwords = Passwords::new(1, 4);
        let gone = tokio::time::timeout(
            std::time::Duration::from_millis(5),
            passwords.verify("guess".into(), None),
        )
        .await;
        assert!(gone.is_err(), "the caller gave up first");
        assert_eq!(
            passwords.slots.available_permits(),
            0,
            "the hash still runs"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while passwords.slots.available_permits() == 0 {
            assert!(std::time::Instant::now() < deadline);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            passwords.memory.lock().unwrap().len(),
            0,
            "its memory was given back"
        );
    }

    #[actix_web::test]
    async fn beyond_the_slots_and_the_queue_the_answer_is_busy_at_once() {
        let passwords = Arc::new(Passwords::new(1, 2));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let passwords = passwords.clone();
                actix_web::rt::spawn(async move { passwords.verify("guess".into(), None).await })
            })
            .collect();
        let (mut answered, mut busy) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(false) => answered += 1,
                Err(Error::Busy) => busy += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((answered, busy), (3, 5), "one slot and two waiting");
        assert_eq!(passwords.memory.lock().unwrap().len(), 0, "all given back");
        assert_eq!(passwords.admitted.load(Ordering::Acquire), 0);
    }
}
