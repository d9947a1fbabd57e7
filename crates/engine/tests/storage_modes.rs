//! The data folder and the database files are private to their owner (Unix): history holds
//! whatever the monitored servers sent.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use streamwatch_engine::storage::{Store, DB_FILE_NAME};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn companions(dir: &Path) -> [std::path::PathBuf; 3] {
    [
        dir.join(DB_FILE_NAME),
        dir.join(format!("{DB_FILE_NAME}-wal")),
        dir.join(format!("{DB_FILE_NAME}-shm")),
    ]
}

#[test]
fn a_new_data_folder_is_0700_and_its_database_files_0600() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("nested").join("data");
    let store = Store::open(&dir).unwrap();
    // Touch the database so the WAL and shared-memory files exist.
    store.subscriptions().unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("nested")), 0o700);
    for file in companions(&dir) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn files_left_readable_by_others_are_tightened_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.subscriptions().unwrap();
    // Keep the WAL and shm files: another connection is still open while we loosen them.
    for file in companions(dir.path()) {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let again = Store::open(dir.path()).unwrap();
    again.subscriptions().unwrap();
    for file in companions(dir.path()) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(store);
}
