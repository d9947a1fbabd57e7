//! Streamwatch's GUI-free core: the SSE parser, the retry policy, one connection's life, and
//! the supervisor that keeps many of them alive. It never depends on a GUI toolkit.

pub mod alerts;
pub mod backoff;
pub mod catalog;
pub mod cert_problem;
pub mod client_cache;
pub mod client_options;
pub mod conditions;
pub mod conditions_feed;
pub mod connection;
pub mod continuity;
pub mod error_words;
pub mod event_bus;
pub mod event_sink;
pub mod export_format;
pub mod history_format;
pub mod ids;
pub mod lifecycle;
mod line_ends;
pub mod liveness;
pub mod llm;
pub mod monitor;
pub mod parser;
pub mod reconnect_mode;
pub mod record;
pub mod record_queue;
pub mod redaction;
pub mod redirects;
pub mod run_summary;
pub mod secrets;
pub mod shared_str;
pub mod status;
pub mod storage;
pub mod subscription;
pub mod supervisor;
pub mod supervisor_event;
pub mod system;
pub mod timeline;
pub mod url_credentials;

pub use lifecycle::{ErrorKind, Lifecycle};
pub use parser::{Event, Frame, ParseError, Parser};
pub use shared_str::SharedStr;
pub use status::{State, Status};
pub use subscription::{RetryConfig, SubscriptionConfig};
pub use supervisor::{SubscriptionId, Supervisor, SupervisorEvent};
