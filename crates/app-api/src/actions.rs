//! What the app changes through the monitor: add, edit, remove, pause, resume, reconnect. A
//! subscription that could not start is not running, so the supervisor knows nothing of it;
//! these keep such one's saved settings right and give it another chance when that may help.
//! All of it blocks (SQLite, the keyring): call it off the async workers.

use crate::dto::{SubscriptionForm, SubscriptionView};
use crate::error::CommandError;
use crate::form::record_from_form;
use crate::health::HealthBoard;
use crate::views::view_of;
use streamwatch_engine::catalog::Keeping;
use streamwatch_engine::monitor::{Monitor, MonitorError};
use streamwatch_engine::SubscriptionId;

type Result<T> = std::result::Result<T, CommandError>;

/// Where a save puts its secrets: the keyring, unless the user chose to save without it.
fn keeping(form: &SubscriptionForm) -> Keeping {
    if form.without_keyring == Some(true) {
        Keeping::SessionOnly
    } else {
        Keeping::Keyring
    }
}

/// Checks, saves and starts a subscription; its view.
pub fn add(
    monitor: &Monitor,
    health: &HealthBoard,
    form: &SubscriptionForm,
) -> Result<SubscriptionView> {
    let record = record_from_form(form, None)?;
    let id = monitor.add_keeping(&record, keeping(form))?;
    view_of(monitor, health, id)
}

/// Saves new settings; the stream reconnects with them, keeping its position unless the
/// starting id changed. Its view.
pub fn update(
    monitor: &Monitor,
    health: &HealthBoard,
    id: SubscriptionId,
    form: &SubscriptionForm,
) -> Result<SubscriptionView> {
    let old = monitor.catalog().subscription(id)?;
    let record = record_from_form(form, Some(&old.record))?;
    // One that could not start is started again: the edit may have fixed it.
    monitor.update_keeping(id, &record, keeping(form))?;
    view_of(monitor, health, id)
}

/// Saves and starts a copy of `id` named "<name> (copy)" with the same settings and keyring
/// items of its own; the copy's view.
pub fn duplicate(
    monitor: &Monitor,
    health: &HealthBoard,
    id: SubscriptionId,
) -> Result<SubscriptionView> {
    let copy = monitor.duplicate(id)?;
    view_of(monitor, health, copy)
}

/// Stops a subscription and deletes it with its history and secrets.
pub fn remove(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    Ok(monitor.remove(id)?)
}

/// Pauses, durably (one that could not start stays stopped, and now says paused).
pub fn pause(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    Ok(monitor.set_paused(id, true)?)
}

/// Resumes, durably (also restarts a failed, stopped or never-started subscription).
pub fn resume(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    Ok(monitor.resume(id)?)
}

/// Connects at once, skipping any backoff wait.
pub fn reconnect_now(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    Ok(monitor.reconnect_now(id)?)
}

/// Empties the in-app notification list.
pub fn clear_notifications(monitor: &Monitor) -> Result<()> {
    Ok(monitor.catalog().clear_notifications()?)
}

/// Pauses or resumes every running subscription (the tray's "Pause all" / "Resume all"); the
/// ones that refused, with why. One refusing does not stop the others.
pub fn set_all_paused(monitor: &Monitor, paused: bool) -> Vec<(SubscriptionId, MonitorError)> {
    let ids: Vec<SubscriptionId> = monitor
        .supervisor()
        .list()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.into_iter()
        .filter_map(|id| monitor.set_paused(id, paused).err().map(|e| (id, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{HealthName, StateName};
    use crate::error::ErrorKind;
    use streamwatch_engine::catalog::SubscriptionRecord;
    use streamwatch_engine::monitor::MonitorOptions;

    fn monitor(dir: &std::path::Path) -> Monitor {
        let mut options = MonitorOptions::new(dir.to_path_buf());
        options.autostart = false;
        Monitor::open(options).expect("the monitor opens")
    }

    fn form(name: &str) -> SubscriptionForm {
        let mut record = SubscriptionRecord::new(name, "http://127.0.0.1:1/events");
        record.paused = true;
        SubscriptionForm::from_record(&record)
    }

    #[tokio::test]
    async fn a_paused_subscription_is_added_renamed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        let board = HealthBoard::new();
        let v = add(&m, &board, &form("a")).unwrap();
        assert_eq!(
            (v.status.state, v.status.health),
            (StateName::Paused, HealthName::Paused)
        );
        let id = SubscriptionId(v.id);
        let v = update(&m, &board, id, &form("b")).unwrap();
        assert_eq!(v.name, "b");
        assert!(set_all_paused(&m, true).is_empty());
        remove(&m, id).unwrap();
        assert_eq!(pause(&m, id).unwrap_err().kind, ErrorKind::NotFound);
        let e = add(&m, &board, &form("")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        // The catalog's rules, not the form's: a name that reads as an id is refused here as
        // in the CLI, and a secret that is a keyring reference (another item's) is refused
        // before anything reaches the keyring.
        let e = add(&m, &board, &form("12")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let mut f = form("pointing");
        f.headers = vec![crate::dto::HeaderForm {
            name: "X-Key".into(),
            value: "keyring:streamwatch/x-key-0123".into(),
            secret: true,
            has_stored_value: false,
        }];
        let e = add(&m, &board, &f).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::Invalid, Some("headers.0.value"))
        );
        assert!(m.catalog().find("pointing").is_err(), "nothing was saved");
    }

    #[tokio::test]
    async fn a_duplicate_is_saved_under_a_copy_name_and_listed() {
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        let board = HealthBoard::new();
        let mut f = form("Orders");
        f.method = "POST".into();
        f.body = Some("q=1".into());
        let v = add(&m, &board, &f).unwrap();
        let copy = duplicate(&m, &board, SubscriptionId(v.id)).unwrap();
        assert_ne!(copy.id, v.id);
        assert_eq!(copy.name, "Orders (copy)");
        assert_eq!(
            (
                copy.form.method.as_str(),
                copy.form.body.as_deref(),
                copy.form.paused
            ),
            ("POST", Some("q=1"), true)
        );
        assert_eq!(copy.status.state, StateName::Paused);
        let again = duplicate(&m, &board, SubscriptionId(v.id)).unwrap();
        assert_eq!(again.name, "Orders (copy 2)");
        let e = duplicate(&m, &board, SubscriptionId(9_999)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn one_that_could_not_start_is_paused_in_storage_and_resumed_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        // Saved by an older version (the catalog refuses it now), as another process would.
        let id = streamwatch_engine::storage::Store::open(dir.path())
            .unwrap()
            .add_subscription(&SubscriptionRecord::new("broken", "ftp://x/"))
            .unwrap();
        m.start_saved().unwrap();
        pause(&m, id).unwrap();
        assert!(m.catalog().subscription(id).unwrap().record.paused);
        let e = resume(&m, id).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::Invalid, Some("url"))
        );
        assert!(!m.catalog().subscription(id).unwrap().record.paused);
    }
}
