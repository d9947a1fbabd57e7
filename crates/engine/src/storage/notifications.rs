//! The in-app notification list: every notification decided, shown or not, so nothing the
//! desktop showed (or Do Not Disturb held back) is lost.

use super::error::Result;
use super::store::Store;
use super::time::{from_ms, to_ms};
use crate::ids::SubscriptionId;
use rusqlite::params;
use serde::Serialize;
use std::time::SystemTime;

/// Notifications kept; older ones are deleted as new ones arrive.
pub const MAX_NOTIFICATIONS: u64 = 5_000;

/// One listed notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredNotification {
    /// Its row id (increasing).
    pub id: u64,
    /// When it was decided.
    pub at: SystemTime,
    /// The subscription it is about, if one.
    pub subscription: Option<SubscriptionId>,
    /// `down`, `recovered`, `gave-up`, `fatal`, `message`, `summary`, `many-down`, …
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Its body.
    pub body: String,
    /// `shown`, `silenced` (Do Not Disturb) or `folded` (summed up in another).
    pub delivery: String,
}

/// A notification to list.
#[derive(Debug, Clone, Copy)]
pub struct NewNotification<'a> {
    /// When it was decided.
    pub at: SystemTime,
    /// The subscription it is about, if one.
    pub subscription: Option<SubscriptionId>,
    /// Its kind's name.
    pub kind: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its body.
    pub body: &'a str,
    /// How it was delivered.
    pub delivery: &'a str,
}

impl Store {
    /// Lists a notification and trims the list to [`MAX_NOTIFICATIONS`]; returns its id.
    pub fn add_notification(&self, n: &NewNotification<'_>) -> Result<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.sql(e))?;
        tx.execute(
            "INSERT INTO notifications (at, subscription_id, kind, title, body, delivery)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                to_ms(n.at),
                n.subscription.map(|s| s.0),
                n.kind,
                n.title,
                n.body,
                n.delivery
            ],
        )
        .map_err(|e| self.sql(e))?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "DELETE FROM notifications WHERE id <= ?1",
            [id.saturating_sub(MAX_NOTIFICATIONS as i64)],
        )
        .map_err(|e| self.sql(e))?;
        tx.commit().map_err(|e| self.sql(e))?;
        Ok(id as u64)
    }

    /// The newest notifications first, at most `limit`, older than `before` (a row id) when set.
    pub fn notifications(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredNotification>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, at, subscription_id, kind, title, body, delivery FROM notifications
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let rows = stmt
            .query_map(params![before, limit], |r| {
                Ok(StoredNotification {
                    id: r.get(0)?,
                    at: from_ms(r.get(1)?),
                    subscription: r.get::<_, Option<u64>>(2)?.map(SubscriptionId),
                    kind: r.get(3)?,
                    title: r.get(4)?,
                    body: r.get(5)?,
                    delivery: r.get(6)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// Empties the list.
    pub fn clear_notifications(&self) -> Result<()> {
        self.conn()
            .execute("DELETE FROM notifications", [])
            .map_err(|e| self.sql(e))?;
        Ok(())
    }
}
