#!/usr/bin/env python3
"""Sweeps stale build artifacts out of a cargo target directory (used by scripts/dev.sh).

A `dev.sh test` run keeps a record in TARGET/.streamwatch-sweep/:
  run-start        touched when a run starts: its mtime is the run's start time
  last-run-start   a copy of run-start (same mtime) for the last run whose build finished
  last-run-used    every file cargo reported for that run's units (`--message-format=json`),
                   fresh or rebuilt, one absolute path a line

    sweep_target.py start  TARGET           the run starts: touch run-start
    sweep_target.py record TARGET < JSON    the build finished: keep what it used
    sweep_target.py sweep  TARGET [--dry-run]
        against the last record, deletes
        * test/bench/bin executables in TARGET/debug/deps (`name-<16 hex>`, no extension) that
          the recorded run neither used nor wrote, except the newest of each name and any
          still hard-linked into TARGET/debug (the current bins), with their `.d` files;
        * directories in TARGET/debug/incremental not touched since the recorded run started,
          for crates the recorded run recompiled (another directory of the same crate name is
          newer than the run's start); a crate that was not recompiled keeps its incremental
          cache, which only matters for its next build.
      and prints how much it freed. Without a record it deletes nothing.

Nothing outside TARGET/debug/deps and TARGET/debug/incremental is ever deleted, and TARGET
must look like a cargo target directory (CACHEDIR.TAG or .rustc_info.json). Standard library
only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import sys
from pathlib import Path

STATE = ".streamwatch-sweep"
EXE_NAME = re.compile(r"^(?P<stem>.+)-(?P<hash>[0-9a-f]{16})$")


class Refused(Exception):
    pass


def target_dir(raw: str, must_exist: bool = True) -> Path:
    if not raw or not raw.strip():
        raise Refused("the target directory is empty")
    p = Path(raw)
    if not p.is_absolute():
        p = Path.cwd() / p
    p = Path(os.path.realpath(p))
    home = Path(os.path.realpath(os.path.expanduser("~")))
    if p == Path("/") or p == home or len(p.parts) < 3:
        raise Refused(f"refusing to sweep {p}: not a build directory")
    if not must_exist:
        return p
    if not p.is_dir():
        raise Refused(f"{p} does not exist")
    if not ((p / "CACHEDIR.TAG").is_file() or (p / ".rustc_info.json").is_file()):
        raise Refused(f"refusing to sweep {p}: no CACHEDIR.TAG or .rustc_info.json, "
                      "so not a cargo target directory")
    return p


def inside(child: Path, parent: Path) -> bool:
    try:
        Path(os.path.realpath(child.parent)).joinpath(child.name).relative_to(parent)
        return True
    except ValueError:
        return False


def disk_usage(p: Path) -> int:
    """Bytes that deleting p frees (hard-linked files free nothing)."""
    try:
        st = p.lstat()
    except OSError:
        return 0
    if stat.S_ISDIR(st.st_mode):
        total = 0
        for dirpath, dirnames, filenames in os.walk(p):
            for name in filenames + dirnames:
                try:
                    s = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if not stat.S_ISDIR(s.st_mode) and s.st_nlink > 1:
                    continue
                total += s.st_blocks * 512
        return total + st.st_blocks * 512
    return 0 if st.st_nlink > 1 else st.st_blocks * 512


def newest_mtime(d: Path) -> float:
    """The newest mtime of d and its direct entries (rustc adds a session dir per build)."""
    newest = d.lstat().st_mtime
    try:
        for e in os.scandir(d):
            try:
                newest = max(newest, e.stat(follow_symlinks=False).st_mtime)
            except OSError:
                pass
    except OSError:
        pass
    return newest


def file_ids(paths: set[str]) -> set[tuple[int, int]]:
    """(device, inode) of each path that exists: cargo reports a bin by its hard link in
    TARGET/debug, not by the file in debug/deps."""
    ids = set()
    for p in paths:
        try:
            s = os.stat(p)
        except OSError:
            continue
        ids.add((s.st_dev, s.st_ino))
    return ids


def stale_executables(deps: Path, since: float, used: set[str]) -> list[Path]:
    groups: dict[str, list[tuple[float, Path]]] = {}
    if not deps.is_dir():
        return []
    used_ids = file_ids(used)
    for e in os.scandir(deps):
        m = EXE_NAME.match(e.name)
        if not m:
            continue
        st = e.stat(follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:
            continue
        # Used, or hard-linked into debug/ (an uplifted bin: the current build of it).
        keep = (st.st_nlink > 1 or (st.st_dev, st.st_ino) in used_ids
                or st.st_mtime >= since or os.path.realpath(e.path) in used)
        groups.setdefault(m.group("stem"), []).append((st.st_mtime, keep, Path(e.path)))
    out = []
    for entries in groups.values():
        entries.sort()
        # The newest of each name always stays.
        out.extend(path for _, keep, path in entries[:-1] if not keep)
    return sorted(out)


def stale_incremental(inc: Path, since: float) -> list[Path]:
    if not inc.is_dir():
        return []
    by_crate: dict[str, list[tuple[float, Path]]] = {}
    for e in os.scandir(inc):
        if not e.is_dir(follow_symlinks=False):
            continue
        crate = e.name.rsplit("-", 1)[0]
        by_crate.setdefault(crate, []).append((newest_mtime(Path(e.path)), Path(e.path)))
    out = []
    for entries in by_crate.values():
        if not any(m >= since for m, _ in entries):
            continue  # not recompiled by the recorded run: keep its cache
        out.extend(p for m, p in entries if m < since)
    return sorted(out)


def human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def sweep(target: Path, dry_run: bool = False, out=sys.stdout) -> int:
    state = target / STATE
    record = state / "last-run-start"
    used_file = state / "last-run-used"
    if not record.is_file() or not used_file.is_file():
        print(f"sweep: no finished run recorded in {target}, nothing swept", file=out)
        return 0
    since = record.stat().st_mtime
    used = {line.strip() for line in used_file.read_text().splitlines() if line.strip()}
    debug = target / "debug"
    exes = stale_executables(debug / "deps", since, used)
    dirs = stale_incremental(debug / "incremental", since)
    freed = 0
    for p in exes:
        if not inside(p, debug / "deps"):
            continue
        freed += disk_usage(p)
        dep_info = p.with_name(p.name + ".d")
        if not dry_run:
            p.unlink(missing_ok=True)
            if dep_info.is_file() and not dep_info.is_symlink():
                dep_info.unlink(missing_ok=True)
    for d in dirs:
        if not inside(d, debug / "incremental") or d.is_symlink():
            continue
        freed += disk_usage(d)
        if not dry_run:
            shutil.rmtree(d, ignore_errors=True)
    verb = "would free" if dry_run else "freed"
    print(f"sweep: {verb} {human(freed)} in {target} ({len(exes)} stale executables in "
          f"debug/deps, {len(dirs)} stale debug/incremental directories)", file=out)
    return freed


def start(target: Path) -> None:
    """A run starts (the target directory may not exist yet: cargo has not run)."""
    state = target / STATE
    state.mkdir(parents=True, exist_ok=True)
    stamp = state / "run-start"
    stamp.touch()
    os.utime(stamp, None)


def record(target: Path, stream) -> int:
    """Reads cargo's JSON messages; writes the used list and moves the run's start stamp."""
    state = target / STATE
    stamp = state / "run-start"
    if not stamp.is_file():
        raise Refused(f"{stamp} is missing: `start` was not run")
    used: set[str] = set()
    for line in stream:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") != "compiler-artifact":
            continue
        for f in msg.get("filenames") or []:
            used.add(os.path.realpath(f))
        if msg.get("executable"):
            used.add(os.path.realpath(msg["executable"]))
    if not used:
        raise Refused("cargo reported no artifacts: nothing recorded")
    tmp = state / "last-run-used.tmp"
    tmp.write_text("".join(f"{u}\n" for u in sorted(used)))
    tmp.replace(state / "last-run-used")
    shutil.copy2(stamp, state / "last-run-start")  # keeps the mtime: the run's start
    return len(used)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=["start", "record", "sweep"])
    ap.add_argument("target", help="the cargo target directory (CARGO_TARGET_DIR)")
    ap.add_argument("--dry-run", action="store_true", help="sweep: only say what would go")
    args = ap.parse_args(argv)
    try:
        target = target_dir(args.target, must_exist=args.action != "start")
        if args.action == "start":
            start(target)
        elif args.action == "record":
            n = record(target, sys.stdin)
            print(f"sweep: recorded {n} files this run's build used")
        else:
            sweep(target, dry_run=args.dry_run)
    except (Refused, OSError) as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
