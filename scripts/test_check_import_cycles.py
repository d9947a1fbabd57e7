#!/usr/bin/env python3
"""Tests of scripts/check_import_cycles.py on small fake crates built in a temporary directory.

Run: python3 scripts/test_check_import_cycles.py   (standard library only)
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no scripts/__pycache__ left in the tree

import check_import_cycles as cic  # noqa: E402


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def package(name: str, extra: str = "") -> str:
    return f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{extra}'


class FakeCrate(unittest.TestCase):
    """Each test lays out a single-package workspace under a temporary directory."""

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def crate(self, files: dict[str, str], manifest: str | None = None) -> None:
        write(self.root, {"Cargo.toml": manifest or package("fake"), **files})

    def run_check(self) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cic.check(self.root, out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def assertCycle(self, out: str, ring: list[str]) -> None:
        """Some rotation of `ring` is printed as a cycle `x -> y -> .. -> x`."""
        rotations = [ring[k:] + ring[:k] for k in range(len(ring))]
        texts = [" -> ".join([*r, r[0]]) for r in rotations]
        self.assertTrue(any(t in out for t in texts), f"none of {texts} in:\n{out}")

    def edges(self, root_file: str = "src/lib.rs") -> set[tuple[str, str]]:
        g = cic.build_graph("fake", self.root / root_file)
        base = g.src_dir
        return {
            (a.relative_to(base).as_posix(), b.relative_to(base).as_posix())
            for a, targets in g.edges.items()
            for b in targets
        }


class Cycles(FakeCrate):
    def test_cycle_through_grouped_use_trees(self) -> None:
        self.crate({
            "src/lib.rs": """
                pub mod a;
                pub mod b;
                pub mod c;
            """,
            "src/a.rs": """
                use crate::{b::{self, Thing}, c};
                pub struct A;
            """,
            "src/b.rs": """
                pub struct Thing;
                pub fn f() {}
            """,
            "src/c.rs": """
                use crate::{x, a::{A}};
                pub const x: u8 = 0;
            """,
        })
        code, out, _ = self.run_check()
        self.assertEqual(code, 1, out)
        self.assertCycle(out, ["a.rs", "c.rs"])
        self.assertNotIn("b.rs -> ", out)  # b imports nothing
        self.assertIn(("a.rs", "b.rs"), self.edges())
        self.assertIn(("c.rs", "lib.rs"), self.edges())  # `crate::x` is an item of lib.rs

    def test_cycle_through_super(self) -> None:
        self.crate({
            "src/lib.rs": "pub mod storage;\n",
            "src/storage/mod.rs": """
                mod error;
                mod writer;
                pub use writer::Writer;
            """,
            "src/storage/error.rs": "pub struct Error;\n",
            "src/storage/writer.rs": """
                use super::error::Error;   // a sibling: an edge to error.rs, not to mod.rs
                pub struct Writer;
                fn open() -> Result<(), super::Flag> { todo!() }
            """,
        })
        self.assertEqual(
            self.edges(),
            {("storage/mod.rs", "storage/writer.rs"), ("storage/writer.rs", "storage/error.rs"),
             ("storage/writer.rs", "storage/mod.rs")},
        )
        code, out, _ = self.run_check()
        self.assertEqual(code, 1)
        self.assertCycle(out, ["storage/mod.rs", "storage/writer.rs"])

    def test_super_glob_is_an_edge_to_the_parent(self) -> None:
        self.crate({
            "src/lib.rs": """
                mod parent;
            """,
            "src/parent.rs": """
                mod child;
                pub fn helper() { child::run() }
            """,
            "src/parent/child.rs": """
                use super::*;
                pub fn run() { helper() }
            """,
        })
        self.assertEqual(
            self.edges(),
            {("parent.rs", "parent/child.rs"), ("parent/child.rs", "parent.rs")},
        )
        code, out, _ = self.run_check()
        self.assertEqual(code, 1)
        self.assertCycle(out, ["parent.rs", "parent/child.rs"])

    def test_paths_in_function_bodies_and_macros(self) -> None:
        self.crate({
            "src/main.rs": """
                mod a;
                mod b;
                fn main() { a::go(); }
            """,
            "src/a.rs": """
                pub fn go() {
                    let v = vec![crate::b::make(), self::local()];
                    println!("{}", v.len());
                }
                fn local() -> u8 { 1 }
            """,
            "src/b.rs": """
                macro_rules! back { () => { $crate::a::go() }; }
                pub fn make() -> u8 { back!(); 2 }
            """,
        })
        self.assertEqual(
            self.edges("src/main.rs"),
            {("main.rs", "a.rs"), ("a.rs", "b.rs"), ("b.rs", "a.rs")},
        )
        code, out, _ = self.run_check()
        self.assertEqual(code, 1)
        self.assertIn("bin fake", out)


class NotImports(FakeCrate):
    def test_test_module_imports_do_not_count(self) -> None:
        self.crate({
            "src/lib.rs": "pub mod a;\npub mod b;\n",
            "src/a.rs": """
                use crate::b::B;
                pub struct A(B);
            """,
            "src/b.rs": """
                pub struct B;

                #[cfg(test)]
                mod tests {
                    use crate::a::A;
                    use super::*;
                    #[test]
                    fn t() { let _ = A(B); crate::a::A(B); }
                }

                #[cfg(all(test, unix))]
                fn only_in_tests() -> crate::a::A { todo!() }

                #[cfg(test)]
                mod more_tests;
            """,
        })
        self.assertEqual(self.edges(), {("a.rs", "b.rs")})
        code, out, _ = self.run_check()
        self.assertEqual(code, 0, out)

    def test_comments_strings_mod_declarations_and_visibility(self) -> None:
        self.crate({
            "src/lib.rs": """
                //! Docs may name [`crate::b::B`] and `super::x`.
                pub mod a;
                pub mod b;
            """,
            "src/a.rs": """
                /* block comment: crate::b::B /* nested */ crate::b::B */
                pub(in crate::a) struct A;
                pub(crate) const S: &str = "crate::b::B";
                pub const R: &str = r#"use crate::b::B; "quoted""#;
                pub const C: char = '"';
                pub fn f<'a>(x: &'a str) -> &'a str { x }
                /// See [`crate::b`].
                pub const L: u8 = b'\\'';
            """,
            "src/b.rs": """
                use crate::a::A;
                pub struct B;
            """,
        })
        # lib.rs only declares the modules: no edges from it; only b -> a.
        self.assertEqual(self.edges(), {("b.rs", "a.rs")})
        self.assertEqual(self.run_check()[0], 0)

    def test_clean_crate(self) -> None:
        self.crate({
            "src/lib.rs": """
                pub mod model;
                pub mod store;
                pub mod api {
                    pub use crate::store::Store;
                    pub mod inner;
                }
                pub use store::Store;
            """,
            "src/model.rs": "pub struct Row;\n",
            "src/store.rs": """
                use crate::model::Row;
                use std::collections::HashMap;
                pub struct Store(HashMap<u8, Row>);
            """,
            "src/api/inner.rs": """
                use super::super::model;
                pub fn rows() -> Vec<model::Row> { Vec::new() }
            """,
        })
        self.assertEqual(
            self.edges(),
            {("lib.rs", "store.rs"), ("store.rs", "model.rs"), ("api/inner.rs", "model.rs")},
        )
        code, out, _ = self.run_check()
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"ok +fake \(lib fake\).*4 files, 3 file imports, no cycle")


class Layout(FakeCrate):
    def test_mod_rs_path_attribute_and_inline_modules(self) -> None:
        self.crate({
            "src/lib.rs": """
                mod outer {
                    pub mod deep;          // src/outer/deep.rs
                }
                #[path = "elsewhere/thing.rs"]
                mod thing;
                mod nested;                // src/nested/mod.rs
            """,
            "src/outer/deep.rs": "pub fn d() { crate::thing::t() }\n",
            "src/elsewhere/thing.rs": "pub fn t() { crate::nested::leaf::l() }\n",
            "src/nested/mod.rs": "pub mod leaf;\n",
            "src/nested/leaf.rs": "pub fn l() { crate::outer::deep::d() }\n",
        })
        self.assertEqual(
            self.edges(),
            {("outer/deep.rs", "elsewhere/thing.rs"), ("elsewhere/thing.rs", "nested/leaf.rs"),
             ("nested/leaf.rs", "outer/deep.rs")},
        )
        code, out, _ = self.run_check()
        self.assertEqual(code, 1)
        self.assertCycle(out, ["elsewhere/thing.rs", "nested/leaf.rs", "outer/deep.rs"])

    def test_use_aliases_and_relative_child_paths(self) -> None:
        self.crate({
            "src/lib.rs": """
                mod a;
                mod b;
                use b as bee;
                fn f() { bee::g(); }
            """,
            "src/a.rs": """
                use crate::b;
                pub fn h() { b::g() }
            """,
            "src/b.rs": "pub fn g() {}\n",
        })
        self.assertEqual(self.edges(), {("lib.rs", "b.rs"), ("a.rs", "b.rs")})

    def test_workspace_members_lib_and_bins(self) -> None:
        write(self.root, {
            "Cargo.toml": textwrap.dedent("""
                [workspace]
                members = ["crates/*"]
                [package]
                name = "app"
                version = "0.1.0"
                autobins = false
                [lib]
                path = "src-tauri/src/lib.rs"
                [[bin]]
                name = "app"
                path = "src-tauri/src/main.rs"
            """),
            "src-tauri/src/lib.rs": "pub mod x;\n",
            "src-tauri/src/x.rs": "pub fn x() {}\n",
            "src-tauri/src/main.rs": "fn main() { app::x::x() }\n",
            "crates/one/Cargo.toml": package("one"),
            "crates/one/src/main.rs": "mod p;\nmod q;\nfn main() {}\n",
            "crates/one/src/p.rs": "pub use crate::q::Q;\npub struct P;\n",
            "crates/one/src/q.rs": "pub struct Q(crate::p::P);\n",
            "crates/one/src/bin/tool.rs": "fn main() {}\n",
        })
        code, out, _ = self.run_check()
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"ok +app \(lib app\) \[src-tauri/src/lib\.rs\]")
        self.assertRegex(out, r"ok +app \(bin app\) \[src-tauri/src/main\.rs\]")
        self.assertRegex(out, r"FAIL one \(bin one\) \[crates/one/src/main\.rs\]")
        self.assertCycle(out, ["p.rs", "q.rs"])
        self.assertRegex(out, r"ok +one \(bin tool\)")


class CommandLine(unittest.TestCase):
    def test_exit_codes(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write(root, {
                "Cargo.toml": package("cli"),
                "src/main.rs": "mod a;\nmod b;\nfn main() {}\n",
                "src/a.rs": "pub fn a() {}\n",
                "src/b.rs": "pub fn b() { crate::a::a() }\n",
            })
            script = HERE / "check_import_cycles.py"
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            ok = subprocess.run([sys.executable, script, "--root", root],
                                capture_output=True, text=True, env=env)
            self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
            self.assertIn("no cycle", ok.stdout)
            (root / "src/a.rs").write_text("pub fn a() { crate::b::b() }\n")
            bad = subprocess.run([sys.executable, script, "--root", root],
                                 capture_output=True, text=True, env=env)
            self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
            self.assertIn("a.rs -> b.rs -> a.rs", bad.stdout)  # rings start at the least path
            (root / "Cargo.toml").write_text("not toml [")
            broken = subprocess.run([sys.executable, script, "--root", root],
                                    capture_output=True, text=True, env=env)
            self.assertEqual(broken.returncode, 2, broken.stdout + broken.stderr)


if __name__ == "__main__":
    unittest.main()
