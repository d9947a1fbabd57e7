//! A file written whole or not at all: the content goes to a temporary file beside the chosen
//! path (readable by its owner only: an export may hold private data or secrets), which is
//! synced and renamed over the path only once everything was written. A full disk or a failure
//! halfway leaves the old file (or none), never half of a new one.

use crate::error::CommandError;
use crate::file_error::FileError;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `path` with what `body` writes to the writer it is given (buffered); `body`'s I/O
/// errors should be mapped with [`FileError::writing`].
pub fn write_whole<T>(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let fail = |e: &std::io::Error| CommandError::from(FileError::writing(path, e));
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    // tempfile creates it 0600 on Unix, with a name no other process can have taken.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| fail(&e))?;
    let value = {
        let mut out = BufWriter::new(tmp.as_file());
        let value = body(&mut out)?;
        out.flush().map_err(|e| fail(&e))?;
        value
    };
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn the_file_appears_whole_and_private_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "old").unwrap();

        let e = write_whole(&path, |out| {
            out.write_all(b"half of it").unwrap();
            Err::<(), _>(CommandError::internal("stopped halfway"))
        })
        .unwrap_err();
        assert_eq!(e.message, "stopped halfway");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");

        write_whole(&path, |out| {
            out.write_all(b"new")
                .map_err(|e| FileError::writing(&path, &e).into())
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// /sys refuses new files to everyone, root included (tests run as root in CI).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_that_cannot_be_written_is_permission_denied() {
        let path = Path::new("/sys/streamwatch-export.csv");
        let e = write_whole(path, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::PermissionDenied, "{e:?}");
        assert_eq!(
            e.message,
            "cannot write /sys/streamwatch-export.csv: permission denied. Choose a folder you \
             can write to."
        );
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nowhere/out.csv");
        let e = write_whole(&path, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::File);
        assert!(e.message.contains("nowhere/out.csv"), "{}", e.message);
    }
}
