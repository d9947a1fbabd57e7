//! Looking through what a test left on disk, e.g. for a secret that must never be written.

use std::path::{Path, PathBuf};

/// Every regular file under `dir`, at any depth. Links are not followed, so a scan stays inside
/// `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(ty) = entry.file_type() else {
                continue;
            };
            if ty.is_dir() {
                todo.push(entry.path());
            } else if ty.is_file() {
                files.push(entry.path());
            }
        }
    }
    files
}

/// The total size of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    files_under(dir)
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// Fails if any file under `dir` holds `needle`, or if there is no file to look in (a search of
/// nothing would pass for the wrong reason).
pub fn assert_no_file_contains(dir: &Path, needle: &[u8]) {
    let files = files_under(dir);
    assert!(!files.is_empty(), "nothing to search in {}", dir.display());
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} holds the secret in plain text",
            file.display()
        );
    }
}
