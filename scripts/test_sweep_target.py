#!/usr/bin/env python3
"""Tests of scripts/sweep_target.py on a fake cargo target directory (standard library only)."""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True

import sweep_target as st  # noqa: E402

HOUR = 3600.0


class Sweep(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.base = Path(self._tmp.name)
        self.target = self.base / "target"
        (self.target / "debug" / "deps").mkdir(parents=True)
        (self.target / "debug" / "incremental").mkdir(parents=True)
        (self.target / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
        self.now = time.time()

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def file(self, rel: str, age_hours: float, exe: bool = True, size: int = 4096) -> Path:
        p = self.target / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"\0" * size)
        if exe:
            p.chmod(0o755)
        t = self.now - age_hours * HOUR
        os.utime(p, (t, t))
        return p

    def incremental(self, name: str, age_hours: float) -> Path:
        d = self.target / "debug" / "incremental" / name
        sess = d / "s-abc-def"
        sess.mkdir(parents=True)
        (sess / "query-cache.bin").write_bytes(b"\0" * 8192)
        t = self.now - age_hours * HOUR
        for p in (sess / "query-cache.bin", sess, d):
            os.utime(p, (t, t))
        return d

    def record_run(self, started_hours_ago: float, used: list[Path]) -> None:
        st.start(self.target)
        t = self.now - started_hours_ago * HOUR
        os.utime(self.target / st.STATE / "run-start", (t, t))
        lines = [json.dumps({"reason": "compiler-artifact",
                             "filenames": [str(u)], "executable": None}) for u in used]
        lines.append(json.dumps({"reason": "compiler-artifact", "executable": None,
                                 "filenames": [str(self.target / "debug/deps/libx-1.rlib")]}))
        lines.append(json.dumps({"reason": "build-finished", "success": True}))
        st.record(self.target, io.StringIO("\n".join(lines)))

    def test_stale_executables_go_used_and_newest_stay(self) -> None:
        d = "debug/deps/"
        old_test = self.file(d + "engine-0000000000000001", 48)
        old_test_dep = self.file(d + "engine-0000000000000001.d", 48, exe=False)
        used_old = self.file(d + "streamwatch-0000000000000002", 48)  # a fresh bin, still used
        fresh_test = self.file(d + "streamwatch-0000000000000003", 30)  # fresh: its unit test exe
        new_test = self.file(d + "engine-0000000000000004", 1)  # rebuilt this run
        lonely_old = self.file(d + "parser-0000000000000005", 100)  # newest of its name
        rlib = self.file(d + "libengine-0000000000000001.rlib", 100, exe=False)
        older_unused = self.file(d + "parser-0000000000000006", 200)
        # A bin: cargo reports its hard link in debug/, and the file in deps is the same one.
        bin_in_deps = self.file(d + "tool-0000000000000007", 40)
        self.file(d + "tool-0000000000000008", 1)
        uplifted = self.target / "debug" / "tool"
        os.link(bin_in_deps, uplifted)
        self.record_run(2, [used_old, fresh_test, new_test, uplifted])
        out = io.StringIO()
        freed = st.sweep(self.target, out=out)
        self.assertFalse(old_test.exists())
        self.assertFalse(old_test_dep.exists())
        self.assertFalse(older_unused.exists())
        for kept in (used_old, fresh_test, new_test, lonely_old, rlib, bin_in_deps):
            self.assertTrue(kept.exists(), kept)
        self.assertGreaterEqual(freed, 2 * 4096)
        self.assertIn("2 stale executables", out.getvalue())

    def test_hard_linked_executables_stay(self) -> None:
        linked = self.file("debug/deps/app-0000000000000001", 48)
        os.link(linked, self.target / "debug" / "app")
        self.file("debug/deps/app-0000000000000002", 1)
        self.record_run(2, [])
        st.sweep(self.target, out=io.StringIO())
        self.assertTrue(linked.exists())

    def test_incremental_dirs_of_recompiled_crates_only(self) -> None:
        old_engine = self.incremental("streamwatch_engine-1abc", 48)
        new_engine = self.incremental("streamwatch_engine-2def", 1)
        untouched_cli = self.incremental("streamwatch-3ghi", 48)  # not recompiled: cache stays
        self.record_run(2, [])  # no executables
        out = io.StringIO()
        st.sweep(self.target, out=out)
        self.assertFalse(old_engine.exists())
        self.assertTrue(new_engine.exists())
        self.assertTrue(untouched_cli.exists())
        self.assertIn("1 stale debug/incremental directories", out.getvalue())

    def test_dry_run_and_no_record(self) -> None:
        old = self.file("debug/deps/engine-0000000000000001", 48)
        self.file("debug/deps/engine-0000000000000002", 1)
        out = io.StringIO()
        self.assertEqual(st.sweep(self.target, out=out), 0)
        self.assertIn("nothing swept", out.getvalue())
        self.record_run(2, [])
        st.sweep(self.target, dry_run=True, out=io.StringIO())
        self.assertTrue(old.exists())
        st.sweep(self.target, out=io.StringIO())
        self.assertFalse(old.exists())

    def test_refuses_dangerous_targets(self) -> None:
        for bad in ("", "   ", "/", os.path.expanduser("~"), "/tmp"):
            with self.assertRaises(st.Refused, msg=bad):
                st.target_dir(bad)
        plain = self.base / "not-a-target"
        plain.mkdir()
        with self.assertRaises(st.Refused):
            st.target_dir(str(plain))
        self.assertEqual(st.target_dir(str(self.target)), Path(os.path.realpath(self.target)))

    def test_never_follows_symlinks_out(self) -> None:
        outside = self.base / "outside"
        outside.mkdir()
        precious = outside / "keep-0000000000000001"
        precious.write_bytes(b"x")
        precious.chmod(0o755)
        t = self.now - 100 * HOUR
        os.utime(precious, (t, t))
        link = self.target / "debug" / "deps" / "keep-0000000000000001"
        link.symlink_to(precious)
        self.file("debug/deps/keep-0000000000000002", 1)
        (self.target / "debug" / "incremental" / "evil-1").symlink_to(outside)
        self.incremental("evil-2", 1)
        self.record_run(2, [])
        st.sweep(self.target, out=io.StringIO())
        self.assertTrue(precious.exists())
        self.assertTrue(outside.is_dir())


if __name__ == "__main__":
    unittest.main()
