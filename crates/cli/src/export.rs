//! `streamwatch export`: every saved subscription as one JSON file (EXPORT_FORMAT.md).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use streamwatch_engine::catalog::ExportOptions;

use crate::data_dir::open_catalog;

/// Flags of `streamwatch export`.
#[derive(Args, Debug)]
#[command(after_help = "The file format is documented in EXPORT_FORMAT.md.\n\n\
        Examples:\n  \
        streamwatch export -o subs.json\n  \
        streamwatch export --with-history --data-dir ~/old > all.json")]
pub struct ExportArgs {
    /// Include each subscription's stored messages (oldest first).
    #[arg(long)]
    pub with_history: bool,

    /// Include secret header values in plain text, read from the OS keyring. Without it,
    /// secret headers are exported without their value.
    #[arg(long)]
    pub with_secrets: bool,

    /// Write to FILE (created with owner-only permissions, replaced whole) instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Writes the export `args` asks for.
pub fn run(dir: &Path, args: &ExportArgs) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let export = catalog
        .export(ExportOptions {
            with_history: args.with_history,
            with_secrets: args.with_secrets,
        })
        .context("cannot export")?;
    let text = export.to_json()?;
    let revealed = export.revealed;
    if revealed > 0 {
        eprintln!(
            "streamwatch: WARNING: this export holds the secret header values of {revealed} \
             subscription(s) IN PLAIN TEXT. Keep it private and delete it when done."
        );
    }
    match &args.output {
        Some(path) => write_file(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a crash
/// leaves the old file or the new one, never half of it. The file is readable by its owner
/// only, since it may hold secrets or private data.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
