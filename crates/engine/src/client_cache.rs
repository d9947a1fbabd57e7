//! One HTTP client per distinct [`ClientOptions`]: reqwest fixes proxy and TLS settings when a
//! client is built, and each client has its own connection pool, so subscriptions with the
//! same settings share one (and its connections) while others get their own.

use crate::client_options::{ClientOptions, ClientOptionsError};
use crate::http_client::HttpClient;
use std::collections::HashMap;
use std::sync::Mutex;

/// How many distinct settings are kept before the cache forgets the unused ones.
const KEEP: usize = 64;

/// Clients by the settings they were built with.
#[derive(Default)]
pub struct ClientCache {
    clients: Mutex<HashMap<ClientOptions, HttpClient>>,
}

impl ClientCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The client for `options`, built on first use.
    pub fn get(&self, options: &ClientOptions) -> Result<HttpClient, ClientOptionsError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(options) {
            return Ok(client.clone());
        }
        let client = options.build_client()?;
        if clients.len() >= KEEP {
            // Edited settings leave old entries behind; a connection still using one keeps
            // its own handle (a client is a shared pointer), so forgetting it here is safe.
            clients.clear();
        }
        clients.insert(options.clone(), client.clone());
        Ok(client)
    }

    /// How many distinct clients the cache holds.
    pub fn len(&self) -> usize {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the cache holds no client.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_settings_share_one_client() {
        let cache = ClientCache::new();
        let socks = ClientOptions {
            proxy: Some("socks5://127.0.0.1:1080".into()),
            ..ClientOptions::default()
        };
        cache.get(&ClientOptions::default()).expect("default");
        cache.get(&ClientOptions::default()).expect("default again");
        cache.get(&socks).expect("socks");
        cache.get(&socks.clone()).expect("socks again");
        assert_eq!(cache.len(), 2);
    }
}
