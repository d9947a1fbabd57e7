//! Older database files, made from a current one: what each migration after version 1 added is
//! dropped again. Shared by the storage tests through `#[path]` (not `support/mod.rs`, which
//! every network test includes).

use rusqlite::Connection;
use std::path::Path;

/// A table and one of its columns, or (table, None) for the table itself.
type Added = (&'static str, Option<&'static str>);

/// What each migration after version 1 added. A later migration's additions are listed even
/// where this build may not have them yet; they are dropped only if present.
const ADDED_BY_VERSION: &[(i64, &[Added])] = &[
    (2, &[("notifications", None)]),
    (3, &[("messages", Some("replayed")), ("resets", None)]),
    (
        4,
        &[
            ("subscriptions", Some("redirects")),
            ("sub_state", Some("replayed")),
            ("sub_state", Some("resets")),
        ],
    ),
    (5, &[("subscriptions", Some("secret_params"))]),
    (6, &[("subscriptions", Some("stale_after_secs"))]),
    (7, &[("subscriptions", Some("ids_not_sequential"))]),
    (8, &[("timeline", None)]),
    (9, &[("fatal_told", None)]),
    (10, &[("subscriptions", Some("network"))]),
    (
        11,
        &[
            ("subscriptions", Some("reconnect")),
            ("subscriptions", Some("end_event")),
        ],
    ),
    (
        12,
        &[("subscriptions", Some("probe_every_ms")), ("runs", None)],
    ),
    (
        13,
        &[
            ("messages", Some("mismatch")),
            ("subscriptions", Some("expectations")),
        ],
    ),
    (14, &[("sub_state", Some("mismatches"))]),
];

/// The schema version whose migration added `table.column`.
#[allow(dead_code)]
pub fn version_adding(table: &str, column: &str) -> i64 {
    ADDED_BY_VERSION
        .iter()
        .find(|(_, added)| added.contains(&(table, Some(column))))
        .map(|(v, _)| *v)
        .expect("a column some migration added")
}

/// Turns the file at `path` into what schema `version` left: everything later migrations added
/// is dropped, and the version set back.
pub fn downgrade(path: &Path, version: i64) {
    let conn = Connection::open(path).unwrap();
    for (v, added) in ADDED_BY_VERSION.iter().rev() {
        if *v <= version {
            continue;
        }
        for (table, column) in *added {
            match column {
                Some(column) => {
                    let present: bool = conn
                        .query_row(
                            "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
                            [table, column],
                            |r| r.get(0),
                        )
                        .unwrap();
                    if present {
                        conn.execute_batch(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                            .unwrap();
                    }
                }
                None => conn
                    .execute_batch(&format!("DROP TABLE IF EXISTS {table}"))
                    .unwrap(),
            }
        }
    }
    conn.pragma_update(None, "user_version", version).unwrap();
}
