//! What to tell the user, and how loudly: each subscription's health and the aggregate a tray
//! icon shows ([`health`], [`tray_menu`]), and which desktop notifications to send
//! ([`notifier`], with per-subscription [`rules`]). Plain data and pure state machines fed with
//! the supervisor's events and a clock; the desktop shell only draws and sends what they decide.

pub mod cause;
pub mod fatal_occurrence;
pub mod health;
pub mod markup;
mod message_rule;
pub mod notifier;
pub mod rules;
mod rules_error;
pub mod run_rules;
pub mod stale;
pub mod tray_menu;

pub use fatal_occurrence::{occurrence_key, OccurrenceChange};
pub use health::{Condition, HealthTracker, Level, Snapshot};
pub use notifier::{Delivery, Kind, Notification, Notifier};
pub use rules::{CompiledRules, MessageRule, NotifyRules, RulesError};
pub use run_rules::{CompiledRunRules, RunBreach, RunRules};
pub use tray_menu::{MenuEntry, TrayMenu};
