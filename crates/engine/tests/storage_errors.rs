//! Failures a user can run into (read-only places, full disks, locks, damaged files), mapped from
//! real SQLite and filesystem errors to messages that name the file and say what to do.

// Unix only: Unix file modes.
#![cfg(unix)]

use rusqlite::{Connection, OpenFlags};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use streamwatch_engine::storage::{StorageError, Store, DB_FILE_NAME};

/// Whether permission bits stop this process (they do not for root).
fn permissions_apply(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(_) => true,
    }
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_read_only_directory_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    set_mode(&dir, 0o555);
    if !permissions_apply(&dir) {
        set_mode(&dir, 0o755);
        eprintln!(
            "note: running as root, permission bits do not stop writes; trying a path under /sys"
        );
        // sysfs refuses new directories even to root (EPERM) wherever it is mounted.
        let sys = Path::new("/sys/streamwatch-storage-test");
        match std::fs::create_dir(sys) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                let err = Store::open(sys)
                    .err()
                    .expect("cannot create a folder in /sys");
                assert!(matches!(err, StorageError::ReadOnly { .. }), "{err:?}");
                let msg = err.to_string();
                assert!(msg.contains("/sys/streamwatch-storage-test"), "{msg}");
                assert!(msg.contains("Check the permissions"), "{msg}");
            }
            Ok(()) => {
                let _ = std::fs::remove_dir(sys);
                eprintln!("note: /sys is writable here; read-only directory test skipped");
            }
            Err(e) => eprintln!("note: /sys gave {e}; read-only directory test skipped"),
        }
        return;
    }
    let err = Store::open(&dir)
        .err()
        .expect("a read-only folder must be refused");
    set_mode(&dir, 0o755);
    assert!(matches!(err, StorageError::ReadOnly { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&dir.join(DB_FILE_NAME).display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("read-only"), "{msg}");
}

#[test]
fn a_read_only_database_file_is_reported_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = Store::open(tmp.path()).unwrap().path().to_path_buf();
    set_mode(&path, 0o444);
    if !permissions_apply(tmp.path())
        && std::fs::OpenOptions::new().append(true).open(&path).is_ok()
    {
        set_mode(&path, 0o644);
        eprintln!("note: running as root, a 0444 file is still writable; test skipped");
        return;
    }
    let bytes = std::fs::read(&path).unwrap();
    let err = Store::open(tmp.path())
        .err()
        .expect("a read-only file must be refused");
    set_mode(&path, 0o644);
    assert!(matches!(err, StorageError::ReadOnly { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

fn sqlite_err<T>(r: rusqlite::Result<T>) -> rusqlite::Error {
    match r {
        Ok(_) => panic!("expected an SQLite error"),
        Err(e) => e,
    }
}

#[test]
fn real_sqlite_errors_map_to_clear_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("x.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (v BLOB)").unwrap();
    }

    // SQLITE_READONLY: writing through a read-only connection.
    let ro = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let e = sqlite_err(ro.execute("INSERT INTO t VALUES (1)", []));
    let mapped = StorageError::from_sqlite(&path, e);
    assert!(
        matches!(mapped, StorageError::ReadOnly { .. }),
        "{mapped:?}"
    );
    assert!(mapped
        .to_string()
        .starts_with(&format!("cannot write {}", path.display())));
    drop(ro);

    // SQLITE_FULL: the database may not grow past its page cap.
    let conn = Connection::open(&path).unwrap();
    let pages: i64 = conn
        .pragma_query_value(None, "page_count", |r| r.get(0))
        .unwrap();
    conn.pragma_update(None, "max_page_count", pages).unwrap();
    let e = sqlite_err(conn.execute("INSERT INTO t VALUES (zeroblob(100000))", []));
    let mapped = StorageError::from_sqlite(&path, e);
    assert_eq!(mapped, StorageError::DiskFull { path: path.clone() });
    assert!(mapped.to_string().contains("the disk is full"));
    drop(conn);

    // SQLITE_BUSY: another connection holds the write lock.
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let other = Connection::open(&path).unwrap();
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    let e = sqlite_err(other.execute_batch("BEGIN IMMEDIATE"));
    assert!(matches!(
        StorageError::from_sqlite(&path, e),
        StorageError::Busy { .. }
    ));
    holder.execute_batch("ROLLBACK").unwrap();

    // SQLITE_NOTADB.
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 4096]).unwrap();
    let conn = Connection::open(&junk).unwrap();
    let e = sqlite_err(
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        }),
    );
    assert!(matches!(
        StorageError::from_sqlite(&junk, e),
        StorageError::Corrupt { .. }
    ));

    // SQLITE_CANTOPEN: the folder does not exist.
    let missing = tmp.path().join("no/such/dir/x.db");
    let e = sqlite_err(Connection::open_with_flags(
        &missing,
        OpenFlags::SQLITE_OPEN_READ_WRITE,
    ));
    let mapped = StorageError::from_sqlite(&missing, e);
    assert!(
        matches!(mapped, StorageError::CannotOpen { .. }),
        "{mapped:?}"
    );
    assert!(mapped.to_string().contains(&missing.display().to_string()));

    // A stored value of the wrong type is bad data, not a crash.
    let conn = Connection::open(&path).unwrap();
    let e = sqlite_err(conn.query_row("SELECT -1", [], |r| r.get::<_, u64>(0)));
    assert!(matches!(
        StorageError::from_sqlite(&path, e),
        StorageError::BadData { .. }
    ));
}

#[test]
fn filesystem_errors_map_to_clear_cases() {
    let p = Path::new("/data/streamwatch");
    let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    assert!(matches!(
        StorageError::from_io(p, &denied),
        StorageError::ReadOnly { .. }
    ));
    let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
    assert!(matches!(
        StorageError::from_io(p, &full),
        StorageError::DiskFull { .. }
    ));
}

#[test]
fn a_path_blocked_by_a_file_cannot_be_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::open(&file.join("data")).err().unwrap();
    assert!(matches!(err, StorageError::CannotOpen { .. }), "{err:?}");
    assert!(err.to_string().contains("plain-file"));
}
