//! `--proxy`, `--ca-cert`, `--client-cert` and `--client-key`: a stream's own proxy and TLS
//! settings, read into the engine's [`ClientOptions`].

use crate::usage::UsageError;
use clap::Args;
use std::path::{Path, PathBuf};
use streamwatch_engine::client_options::ClientOptions;

/// Proxy and TLS flags, shared by `watch` and `subs add|edit`.
#[derive(Args, Debug, Clone, PartialEq, Default)]
pub struct ClientArgs {
    /// Connect through this proxy: http://, https://, socks5:// or socks5h:// (credentials as
    /// user:password@, kept secret) [default: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, minus
    /// NO_PROXY]; `subs edit --proxy ""` goes back to the default.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Also trust the CA certificate(s) in this PEM file (a private CA, or a self-signed
    /// server's own certificate); repeatable. There is no switch to accept any certificate.
    #[arg(long = "ca-cert", visible_alias = "ca-file", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,

    /// Present this PEM certificate (chain) to servers that ask for one (mTLS); needs
    /// --client-key.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// The client certificate's PEM private key (kept in the OS keyring when saved).
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// `subs edit`: forget the saved extra CA certificates (trust the system's CAs only).
    #[arg(long, conflicts_with = "ca_certs")]
    pub no_ca_cert: bool,

    /// `subs edit`: forget the saved client certificate, and delete its key from the keyring.
    #[arg(long, conflicts_with_all = ["client_cert", "client_key"])]
    pub no_client_cert: bool,
}

fn read(flag: &str, path: &Path) -> Result<String, UsageError> {
    // The error names the file, never its content: it may be a private key.
    std::fs::read_to_string(path)
        .map_err(|e| UsageError::Invalid(format!("cannot read {flag} {}: {e}", path.display())))
}

impl ClientArgs {
    /// Reads the files and checks the result; the proxy URL, CA and key are checked as the
    /// engine will use them.
    pub fn options(&self) -> Result<ClientOptions, UsageError> {
        let mut options = ClientOptions {
            proxy: self.proxy.as_ref().map(|p| p.trim().to_string()),
            ..ClientOptions::default()
        };
        if !self.ca_certs.is_empty() {
            let mut pem = String::new();
            for path in &self.ca_certs {
                pem.push_str(&read("--ca-cert", path)?);
                pem.push('\n');
            }
            options.extra_ca_pem = Some(pem);
        }
        if let Some(path) = &self.client_cert {
            options.client_cert_pem = Some(read("--client-cert", path)?);
        }
        if let Some(path) = &self.client_key {
            options.client_key_pem = Some(read("--client-key", path)?);
        }
        options
            .validate()
            .map_err(|e| UsageError::Invalid(e.to_string()))?;
        Ok(options)
    }

    /// Puts the settings these flags give into a saved subscription's `network`, leaving the
    /// others as they are (`subs add|edit`). The catalog checks the result under the same rule
    /// as the form's, naming the flag.
    pub fn apply(&self, network: &mut ClientOptions) -> Result<(), UsageError> {
        if let Some(proxy) = &self.proxy {
            let proxy = proxy.trim();
            network.proxy = (!proxy.is_empty()).then(|| proxy.to_string());
        }
        if self.no_ca_cert {
            network.extra_ca_pem = None;
        }
        if self.no_client_cert {
            // The catalog deletes the key's keyring item once no setting refers to it.
            network.client_cert_pem = None;
            network.client_key_pem = None;
        }
        if !self.ca_certs.is_empty() {
            let mut pem = String::new();
            for path in &self.ca_certs {
                pem.push_str(&read("--ca-file", path)?);
                pem.push('\n');
            }
            network.extra_ca_pem = Some(pem);
        }
        if let Some(path) = &self.client_cert {
            network.client_cert_pem = Some(read("--client-cert", path)?);
        }
        if let Some(path) = &self.client_key {
            network.client_key_pem = Some(read("--client-key", path)?);
        }
        Ok(())
    }
}
