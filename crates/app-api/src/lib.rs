//! The desktop app's Tauri-free half: the contract with the web UI (docs/app-contract.md) and
//! everything the shell computes for it. The transport types ([`dto`], [`error`]) and their
//! TypeScript ([`bindings`]); the update batcher ([`bridge`]) with the live events it carries
//! ([`live`]) and the alert loop's verdicts ([`health`]); the form ↔ record mapping ([`form`],
//! [`notify_form`]); what the windows are shown ([`views`], [`stats`], [`export`], the demo's
//! note in [`demo`]) and the
//! changes they ask for ([`actions`]); and the pickup of edits made by the CLI
//! ([`store_sync`]); the add form's "Paste cURL" ([`curl_paste`]); the window's Export and
//! Import to files the user chose ([`file_transfer`],
//! its types in [`transfer_dto`]). The shell (src-tauri) only wires these to Tauri, which this
//! crate never depends on: all of it builds and tests without a webview.

pub mod actions;
pub mod bindings;
pub mod bridge;
pub mod curl_paste;
pub mod demo;
pub mod dto;
pub mod error;
pub mod expectations_form;
pub mod export;
pub mod file_error;
pub mod file_transfer;
pub mod form;
pub mod health;
pub mod live;
pub mod network_form;
pub mod notify_form;
pub mod output_file;
pub mod preview;
pub mod probe_form;
pub mod reconnect_form;
pub mod request_view;
pub mod runs;
pub mod stats;
pub mod store_sync;
pub mod timeline;
pub mod transfer_dto;
pub mod views;
