//! What the app changes through the monitor: add, edit, remove, pause, resume, reconnect. A
//! subscription that could not start is not running, so the supervisor knows nothing of it;
//! these keep such one's saved settings right and give it another chance when that may help.
//! All of it blocks (SQLite, the keyring): call it off the async workers.

use crate::dto::{SubscriptionForm, SubscriptionView};
use crate::error::CommandError;
use crate::form::record_from_form;
use crate::health::HealthBoard;
use crate::views::view_of;
use streamwatch_engine::monitor::{runtime_config, Monitor, MonitorError};
use streamwatch_engine::secrets::SecretStore;
use streamwatch_engine::supervisor::SupervisorError;
use streamwatch_engine::SubscriptionId;

type Result<T> = std::result::Result<T, CommandError>;

fn is_running(monitor: &Monitor, id: SubscriptionId) -> bool {
    monitor.supervisor().status(id).is_ok()
}

/// Tries again to start saved subscriptions that could not start; `id`'s failure, if it still
/// fails, is the error.
fn start_again(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    monitor.start_saved()?;
    if is_running(monitor, id) {
        return Ok(());
    }
    // The same check `start` makes, for a typed error (keyring refused, settings broken).
    let saved = monitor.store().subscription(id)?;
    runtime_config(&saved.record, None, &SecretStore::default(), false)?;
    let why = monitor
        .startup_errors()
        .into_iter()
        .find(|e| e.id == id)
        .map_or_else(|| "it could not start".to_string(), |e| e.message);
    Err(CommandError::internal(why))
}

/// Checks, saves and starts a subscription; its view.
pub fn add(
    monitor: &Monitor,
    health: &HealthBoard,
    form: &SubscriptionForm,
) -> Result<SubscriptionView> {
    let record = record_from_form(form, None)?;
    let id = monitor.add(&record)?;
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
    let old = monitor.store().subscription(id)?;
    let record = record_from_form(form, Some(&old.record))?;
    let running = is_running(monitor, id);
    match monitor.update(id, &record) {
        Ok(()) => {}
        // Saved, but it was not running (it could not start): the edit may have fixed it.
        Err(MonitorError::Supervisor(SupervisorError::NotFound(_))) if !running => {
            start_again(monitor, id)?
        }
        Err(e) => return Err(e.into()),
    }
    view_of(monitor, health, id)
}

/// Stops a subscription and deletes it with its history and secrets.
pub fn remove(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    Ok(monitor.remove(id)?)
}

/// Pauses, durably.
pub fn pause(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    if is_running(monitor, id) {
        monitor.set_paused(id, true)?;
    } else {
        // It could not start; it stays stopped, and now says paused.
        monitor.store().set_paused(id, true)?;
    }
    Ok(())
}

/// Resumes, durably (also restarts a failed or stopped subscription).
pub fn resume(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    let paused = monitor.store().subscription(id)?.record.paused;
    if !is_running(monitor, id) {
        // It could not start: try again (the keyring may be unlocked by now).
        if paused {
            monitor.store().set_paused(id, false)?;
        }
        return start_again(monitor, id);
    }
    if paused {
        monitor.set_paused(id, false)?;
    } else {
        // Not paused but ended (failed, or the server said 204): start it again.
        monitor.reconnect_now(id)?;
    }
    Ok(())
}

/// Connects at once, skipping any backoff wait.
pub fn reconnect_now(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    Ok(monitor.reconnect_now(id)?)
}

/// Empties the in-app notification list.
pub fn clear_notifications(monitor: &Monitor) -> Result<()> {
    Ok(monitor.store().clear_notifications()?)
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
    use streamwatch_engine::monitor::MonitorOptions;
    use streamwatch_engine::storage::SubscriptionRecord;

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
    }

    #[tokio::test]
    async fn one_that_could_not_start_is_paused_in_storage_and_resumed_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        let id = m
            .store()
            .add_subscription(&SubscriptionRecord::new("broken", "ftp://x/"))
            .unwrap();
        m.start_saved().unwrap();
        pause(&m, id).unwrap();
        assert!(m.store().subscription(id).unwrap().record.paused);
        let e = resume(&m, id).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::Invalid, Some("url"))
        );
        assert!(!m.store().subscription(id).unwrap().record.paused);
    }
}
