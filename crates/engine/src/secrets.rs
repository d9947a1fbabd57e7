//! Secret header values (an `Authorization` header, an API key) kept in the OS keyring.
//!
//! The database must never hold such a value in plain text, so the value goes to the platform's
//! credential store — the Secret Service on Linux and the BSDs (gnome-keyring, KeePassXC, KWallet),
//! the Keychain on macOS, the Credential Manager on Windows — and the database keeps only a
//! [`SecretRef`], a string such as `keyring:streamwatch/authorization-3f0c…`.
//!
//! When no keyring can be reached this module says so ([`SecretError::Unavailable`]) and refuses:
//! there is deliberately no fallback that writes the secret to a file. The one other place a
//! secret may live is this process's memory, and only when the user chose it for that save
//! ([`SecretStore::put_session`]): the reference (`session:streamwatch/…`) is saved, the value
//! is not, so after a restart the secret is missing ([`SecretError::SessionOnly`]) and must be
//! entered again.
//!
//! Every call blocks on the platform store (a D-Bus round trip on Linux, which may wait for the
//! user to answer an unlock prompt), so async code should call it through
//! `tokio::task::spawn_blocking`.
//!
//! The `keyring` crate (v4, `v1` API) connects to the platform store once per process, on first
//! use, and keeps that connection: a keyring started or unlocked after a failed first attempt is
//! only seen after Streamwatch restarts, which is why the messages below say so.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

/// What every front end, error and log shows in place of a secret value.
pub const MASK: &str = "••••";

/// The keyring service name Streamwatch files its secrets under.
pub const DEFAULT_SERVICE: &str = "streamwatch";

/// Every reference starts with this, so a stored value says where the secret lives.
const SCHEME: &str = "keyring:";
/// A secret kept in memory for one session only (no keyring was available and the user chose
/// to save without it).
const SESSION_SCHEME: &str = "session:";
/// Longest service name accepted; keyring UIs and Windows target names are length-limited.
const MAX_SERVICE_LEN: usize = 64;
/// Longest account name accepted (hint + dash + 32 hex digits fits well inside).
const MAX_ACCOUNT_LEN: usize = 128;
/// How much of the caller's label hint goes into an account name.
const MAX_HINT_LEN: usize = 40;

/// A reference to a secret held in the OS keyring; this string is what the database stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef(pub String);

impl SecretRef {
    /// Build the reference for `account` under `service`, checking both.
    fn new(service: &str, account: &str) -> Result<Self, SecretError> {
        let r = SecretRef(format!("{SCHEME}{service}/{account}"));
        r.parts()?;
        Ok(r)
    }

    /// Build a session-only reference (the value lives in this process's memory).
    fn new_session(service: &str, account: &str) -> Result<Self, SecretError> {
        let r = SecretRef(format!("{SESSION_SCHEME}{service}/{account}"));
        r.parts()?;
        Ok(r)
    }

    /// Whether the secret was kept in memory for one session only, not in the keyring.
    pub fn is_session(&self) -> bool {
        self.0.starts_with(SESSION_SCHEME)
    }

    /// The reference as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The keyring service and account this reference names, after checking its syntax.
    pub fn parts(&self) -> Result<(&str, &str), SecretError> {
        let invalid = |why: &str| SecretError::InvalidRef(format!("{:?}: {why}", self.0));
        let rest = self
            .0
            .strip_prefix(SCHEME)
            .or_else(|| self.0.strip_prefix(SESSION_SCHEME))
            .ok_or_else(|| invalid("does not start with \"keyring:\" or \"session:\""))?;
        let (service, account) = rest
            .split_once('/')
            .ok_or_else(|| invalid("expected keyring:<service>/<account>"))?;
        check_name(service, MAX_SERVICE_LEN).map_err(|why| invalid(&format!("service {why}")))?;
        check_name(account, MAX_ACCOUNT_LEN).map_err(|why| invalid(&format!("account {why}")))?;
        Ok((service, account))
    }
}

/// Names are kept to a portable alphabet so a reference survives every store and every UI, and
/// so a reference can never smuggle in separators or control characters.
fn check_name(name: &str, max: usize) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name.len() > max {
        return Err("is too long");
    }
    if !name.bytes().all(is_name_byte) {
        return Err("may only contain A-Z a-z 0-9 . _ -");
    }
    Ok(())
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SecretRef {
    type Err = SecretError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let r = SecretRef(s.to_owned());
        r.parts()?;
        Ok(r)
    }
}

impl serde::Serialize for SecretRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Checked on the way in, so a malformed reference is caught where it is read, not later
        // when a connection needs its header.
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a secret could not be stored, read or removed. No variant ever carries the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No OS keyring could be reached (on Linux: no Secret Service provider on the session bus).
    #[error(
        "no OS keyring is available, so the secret was NOT saved (nor read) — Streamwatch never \
         writes secrets to disk instead. To use secret headers, start a Secret Service provider \
         such as gnome-keyring or KeePassXC, unlock it, and restart Streamwatch; or don't mark \
         the header as secret. (cause: {reason})"
    )]
    Unavailable {
        /// What the platform store reported.
        reason: String,
    },
    /// The keyring holds no secret for this reference (it may have been deleted outside Streamwatch).
    #[error(
        "the OS keyring has no secret for {0}; it may have been deleted outside Streamwatch — \
         enter the header value again"
    )]
    NotFound(SecretRef),
    /// The keyring is locked, or refused access (an unlock prompt was dismissed or could not be shown).
    #[error(
        "the OS keyring is locked or refused access, so the secret was NOT saved (nor read): \
         unlock your keyring (for example the \"Login\" keyring in Passwords and Keys / Seahorse, \
         or KeePassXC's database) and try again. (cause: {reason})"
    )]
    Locked {
        /// What the platform store reported.
        reason: String,
    },
    /// The secret was kept in memory for the session it was entered in (no keyring was
    /// available, and the user chose to save without it); that session has ended.
    #[error(
        "the secret for {0} was kept in memory only, for the session it was entered in (no OS \
         keyring was available), and Streamwatch has restarted since: enter the value again"
    )]
    SessionOnly(SecretRef),
    /// A reference that is malformed, or that belongs to another keyring service.
    #[error("invalid secret reference {0}")]
    InvalidRef(String),
    /// Any other failure of the platform store.
    #[error("OS keyring error: {0}")]
    Other(String),
}

/// Stores, reads, replaces and deletes secrets in the OS keyring under one service name, and
/// those the user chose to keep for this session only in memory (shared by its clones).
#[derive(Clone)]
pub struct SecretStore {
    service: String,
    /// Session-only secrets by account; never written anywhere.
    session: Arc<Mutex<HashMap<String, String>>>,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session's values are secrets: only how many there are.
        f.debug_struct("SecretStore")
            .field("service", &self.service)
            .field("session_secrets", &lock(&self.session).len())
            .finish()
    }
}

impl PartialEq for SecretStore {
    fn eq(&self, other: &Self) -> bool {
        self.service == other.service
    }
}

impl Eq for SecretStore {}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for SecretStore {
    fn default() -> Self {
        SecretStore::new(DEFAULT_SERVICE)
    }
}

impl SecretStore {
    /// A store filing secrets under `service` (normally [`DEFAULT_SERVICE`]).
    ///
    /// The name is checked when it is first used: it may only hold `A-Z a-z 0-9 . _ -`.
    pub fn new(service: impl Into<String>) -> Self {
        SecretStore {
            service: service.into(),
            session: Arc::default(),
        }
    }

    /// The keyring service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Store `secret` under a new, random account and return the reference to keep.
    ///
    /// `label_hint` (say, the header name) becomes the readable start of the account name so the
    /// item can be recognised in a keyring UI; it must therefore not itself be secret.
    pub fn put(&self, label_hint: &str, secret: &str) -> Result<SecretRef, SecretError> {
        let r = SecretRef::new(&self.service, &new_account(label_hint))?;
        // Raw UTF-8 bytes rather than `set_password`: on Windows a password is stored as UTF-16,
        // which halves what fits in the Credential Manager's 2560-byte blob. `get` reads bytes
        // back the same way, so the pair agrees on every platform.
        self.entry(&r)?
            .set_secret(secret.as_bytes())
            .map_err(|e| map_error(e, &r))?;
        Ok(r)
    }

    /// Keep `secret` in this process's memory only, for this session, and return the reference
    /// to save: the user chose this because no keyring was available. Nothing reaches the disk;
    /// after a restart [`SecretStore::get`] says [`SecretError::SessionOnly`].
    pub fn put_session(&self, label_hint: &str, secret: &str) -> Result<SecretRef, SecretError> {
        let account = new_account(label_hint);
        let r = SecretRef::new_session(&self.service, &account)?;
        lock(&self.session).insert(account, secret.to_string());
        Ok(r)
    }

    /// The session-only secret `r` names, which must be under this store's service.
    fn session_account<'r>(&self, r: &'r SecretRef) -> Result<&'r str, SecretError> {
        let (service, account) = r.parts()?;
        if service != self.service {
            return Err(SecretError::InvalidRef(format!(
                "{r}: belongs to service {service:?}, not {:?}",
                self.service
            )));
        }
        Ok(account)
    }

    /// Read the secret `r` refers to.
    pub fn get(&self, r: &SecretRef) -> Result<String, SecretError> {
        if r.is_session() {
            let account = self.session_account(r)?;
            return lock(&self.session)
                .get(account)
                .cloned()
                .ok_or_else(|| SecretError::SessionOnly(r.clone()));
        }
        // Bytes, as `put` writes them.
        let bytes = self.entry(r)?.get_secret().map_err(|e| map_error(e, r))?;
        String::from_utf8(bytes)
            .map_err(|_| SecretError::Other(format!("the secret for {r} is not valid UTF-8 text")))
    }

    /// Overwrite the secret `r` refers to; if the keyring item is gone it is created again under
    /// the same reference, so the stored reference stays valid.
    pub fn replace(&self, r: &SecretRef, secret: &str) -> Result<(), SecretError> {
        if r.is_session() {
            let account = self.session_account(r)?;
            lock(&self.session).insert(account.to_string(), secret.to_string());
            return Ok(());
        }
        self.entry(r)?
            .set_secret(secret.as_bytes())
            .map_err(|e| map_error(e, r))
    }

    /// Remove the secret `r` refers to; a secret that is already gone is not an error.
    pub fn delete(&self, r: &SecretRef) -> Result<(), SecretError> {
        if r.is_session() {
            let account = self.session_account(r)?;
            lock(&self.session).remove(account);
            return Ok(());
        }
        match self.entry(r)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e, r)),
        }
    }

    /// Probe the keyring: write, read back and delete a throwaway canary secret.
    pub fn check_available(&self) -> Result<(), SecretError> {
        let canary = format!("streamwatch keyring probe {:032x}", rand::random::<u128>());
        let r = self.put("canary", &canary)?;
        let read = self.get(&r);
        // Delete even when the read failed, so a probe never leaves an item behind.
        let deleted = self.delete(&r);
        if read? != canary {
            return Err(SecretError::Other(
                "the keyring returned a different value than was stored".into(),
            ));
        }
        deleted
    }

    /// The keyring entry for `r`, refusing references that belong to another service.
    fn entry(&self, r: &SecretRef) -> Result<keyring::Entry, SecretError> {
        if r.is_session() {
            return Err(SecretError::InvalidRef(format!(
                "{r}: a session-only secret is not in the keyring"
            )));
        }
        let (service, account) = r.parts()?;
        // A reference can arrive from an imported configuration. Without this check such a file
        // could name another application's keyring item and have Streamwatch send it, as a
        // header, to whatever server the file points at.
        if service != self.service {
            return Err(SecretError::InvalidRef(format!(
                "{r}: belongs to keyring service {service:?}, not {:?}",
                self.service
            )));
        }
        keyring::Entry::new(service, account).map_err(|e| map_error(e, r))
    }
}

/// A fresh account name: the sanitised hint, then 128 random bits so names never collide.
fn new_account(label_hint: &str) -> String {
    let mut hint = String::new();
    for c in label_hint.chars() {
        if hint.len() >= MAX_HINT_LEN {
            break;
        }
        if c.is_ascii() && is_name_byte(c as u8) {
            hint.push(c.to_ascii_lowercase());
        } else if !hint.is_empty() && !hint.ends_with('-') {
            // Runs of anything else (spaces, punctuation, non-ASCII) become one dash.
            hint.push('-');
        }
    }
    let hint = hint.trim_end_matches('-');
    let hint = if hint.is_empty() { "secret" } else { hint };
    format!("{hint}-{:032x}", rand::random::<u128>())
}

/// Translate a `keyring` error into ours, never echoing secret bytes (some variants carry them).
fn map_error(err: keyring::Error, r: &SecretRef) -> SecretError {
    use keyring::Error as K;
    match err {
        // `Entry::new` reports only this when the store could not be set up; the real cause
        // (no session bus, no Secret Service provider…) is kept by `store_status`.
        K::NoDefaultStore => SecretError::Unavailable {
            reason: match keyring::Entry::store_status() {
                Err(e) => e.to_string(),
                Ok(()) => "no default credential store".into(),
            },
        },
        K::NoEntry => SecretError::NotFound(r.clone()),
        K::NoStorageAccess(e) => SecretError::Locked {
            reason: e.to_string(),
        },
        K::PlatformFailure(e) => {
            let reason = e.to_string();
            if provider_gone(&reason) {
                SecretError::Unavailable { reason }
            } else {
                SecretError::Other(reason)
            }
        }
        K::TooLong(what, limit) => SecretError::Other(format!(
            "the secret was NOT saved: its {what} is longer than this OS keyring allows \
             ({limit}); shorten it or don't mark the header as secret"
        )),
        K::BadEncoding(_) | K::BadDataFormat(..) => SecretError::Other(format!(
            "the keyring item for {r} holds data in an unexpected format"
        )),
        K::Ambiguous(items) => SecretError::Other(format!(
            "{} keyring items match {r}; remove the extra ones in your keyring manager",
            items.len()
        )),
        other => SecretError::Other(other.to_string()),
    }
}

/// Whether a platform failure means the Secret Service provider went away after Streamwatch
/// connected (the provider quit, or was never there on a bus without D-Bus activation), or the
/// bus could not start it (its activation failed: a broken or missing keyring program).
///
/// The platform error is an opaque boxed error from crates this one does not depend on, so the
/// well-known D-Bus error names in its text are the only thing to go by.
fn provider_gone(reason: &str) -> bool {
    [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.Spawn.",
        "no secret service provider",
    ]
    .iter()
    .any(|needle| reason.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_through_strings_and_serde() {
        let r: SecretRef = "keyring:streamwatch/authorization-0123abcd"
            .parse()
            .unwrap();
        assert_eq!(
            r.parts().unwrap(),
            ("streamwatch", "authorization-0123abcd")
        );
        assert_eq!(r.to_string(), "keyring:streamwatch/authorization-0123abcd");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"keyring:streamwatch/authorization-0123abcd\"");
        assert_eq!(serde_json::from_str::<SecretRef>(&json).unwrap(), r);
    }

    #[test]
    fn malformed_references_are_refused() {
        for bad in [
            "",
            "streamwatch/abc",
            "keyring:",
            "keyring:streamwatch",
            "keyring:streamwatch/",
            "keyring:/abc",
            "keyring:stream watch/abc",
            "keyring:streamwatch/a/b",
            "keyring:streamwatch/ä",
            "keyring:streamwatch/a\nb",
        ] {
            assert!(
                matches!(bad.parse::<SecretRef>(), Err(SecretError::InvalidRef(_))),
                "{bad:?} was accepted"
            );
            assert!(serde_json::from_value::<SecretRef>(serde_json::json!(bad)).is_err());
        }
        let too_long = format!("keyring:streamwatch/{}", "a".repeat(MAX_ACCOUNT_LEN + 1));
        assert!(too_long.parse::<SecretRef>().is_err());
    }

    #[test]
    fn accounts_are_readable_unique_and_valid() {
        let a = new_account("Authorization");
        let b = new_account("Authorization");
        assert_ne!(a, b);
        assert!(a.starts_with("authorization-"), "{a}");
        assert_eq!(a.len(), "authorization-".len() + 32);
        for hint in [
            "",
            "  ",
            "X-Api-Key for «prod» feed!",
            "ключ",
            &"h".repeat(500),
        ] {
            let account = new_account(hint);
            let r = SecretRef::new(DEFAULT_SERVICE, &account).unwrap();
            assert!(r.parts().is_ok(), "{account}");
        }
        assert!(new_account("X-Api-Key for «prod» feed!").starts_with("x-api-key-for-prod-feed-"));
        assert!(new_account("ключ").starts_with("secret-"));
    }

    #[test]
    fn another_services_reference_is_refused_before_the_keyring_is_touched() {
        let store = SecretStore::default();
        let foreign: SecretRef = "keyring:other-app/token".parse().unwrap();
        for result in [
            store.get(&foreign).map(drop),
            store.replace(&foreign, "x"),
            store.delete(&foreign),
        ] {
            match result {
                Err(SecretError::InvalidRef(msg)) => assert!(msg.contains("other-app"), "{msg}"),
                other => panic!("expected InvalidRef, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_invalid_service_name_is_refused_on_put() {
        let store = SecretStore::new("stream watch");
        assert!(matches!(
            store.put("Authorization", "x"),
            Err(SecretError::InvalidRef(_))
        ));
    }

    #[test]
    fn the_unavailable_message_says_nothing_was_saved_and_what_to_do() {
        let msg = SecretError::Unavailable {
            reason: "no session bus".into(),
        }
        .to_string();
        for needle in [
            "NOT saved",
            "gnome-keyring",
            "KeePassXC",
            "unlock",
            "don't mark the header as secret",
            "no session bus",
        ] {
            assert!(msg.contains(needle), "{needle:?} missing from {msg:?}");
        }
    }

    #[test]
    fn a_session_only_secret_lives_in_memory_and_is_missing_in_the_next_session() {
        // An unusable service for the keyring: nothing here may reach it.
        let store = SecretStore::new("streamwatch-session-test");
        let r = store.put_session("Authorization", "Bearer s3cret").unwrap();
        assert!(r.is_session(), "{r}");
        assert!(r
            .as_str()
            .starts_with("session:streamwatch-session-test/authorization-"));
        assert_eq!(r.as_str().parse::<SecretRef>().unwrap(), r);
        assert_eq!(store.get(&r).unwrap(), "Bearer s3cret");
        // Clones share the session (the monitor and the catalog hold clones).
        assert_eq!(store.clone().get(&r).unwrap(), "Bearer s3cret");
        store.replace(&r, "Bearer new").unwrap();
        assert_eq!(store.get(&r).unwrap(), "Bearer new");
        assert!(!format!("{store:?}").contains("Bearer"), "{store:?}");

        // The next session: a new store, the reference saved but not the value.
        let next = SecretStore::new("streamwatch-session-test");
        match next.get(&r) {
            Err(SecretError::SessionOnly(missing)) => assert_eq!(missing, r),
            other => panic!("expected SessionOnly, got {other:?}"),
        }
        let msg = next.get(&r).unwrap_err().to_string();
        assert!(msg.contains("enter the value again"), "{msg}");
        assert!(!msg.contains("Bearer"), "{msg}");

        store.delete(&r).unwrap();
        assert!(matches!(store.get(&r), Err(SecretError::SessionOnly(_))));
        let foreign: SecretRef = "session:other-app/token-1".parse().unwrap();
        assert!(matches!(
            store.get(&foreign),
            Err(SecretError::InvalidRef(_))
        ));
    }

    #[test]
    fn provider_loss_is_told_apart_from_other_failures() {
        assert!(provider_gone(
            "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable"
        ));
        assert!(provider_gone(
            "zbus error: org.freedesktop.DBus.Error.Spawn.ChildExited: Process \
             org.freedesktop.secrets exited with status 1"
        ));
        assert!(!provider_gone("zbus error: I/O error"));
    }
}
