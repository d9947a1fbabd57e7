#!/usr/bin/env python3
"""Reports import cycles between the source files of each Rust crate in the workspace.

For every lib and bin target of every workspace package, this builds the graph of which source
file imports which other file of the same crate and reports each strongly connected component
of more than one file, with one concrete cycle through it and the lines that make its edges.

What counts as an import of another file:
  * `use` items (also `pub use`, inside function bodies, grouped and nested trees such as
    `use crate::{a::{b, c}, d}`, globs, renames), rooted at `crate::`, `self::`, `super::`, or
    at a name in scope (a child module, or a module brought in by an earlier `use`);
  * paths in code, `crate::a::b::f()`, `super::x::Y`, `child::Z { .. }`, `$crate::..` in macros.
A path resolves to the deepest module it names: `crate::a::b::Item` is an edge to the file of
module `a::b` (`a/b.rs`, `a/b/mod.rs`, or a `#[path]` file); an item that the parent module only
re-exports (`super::Error` where mod.rs has `pub use error::Error`) is an edge to the parent's
file, and `use super::*` is an edge to the parent's file. Inline `mod x { }` blocks belong to
their file. `mod x;` declarations are not imports of the child. Items under `#[cfg(test)]`
(`mod tests { .. }`, test-only helpers and imports) are skipped, as are comments and literals.

Exit status: 0 when no crate has a cycle (one summary line per crate), 1 when some crate has
one, 2 when the workspace cannot be read.

Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Lexer: identifiers, punctuation (`::` as one token) and literals; comments are dropped.
# --------------------------------------------------------------------------------------------

ID, PUNCT, LIT = "id", "punct", "lit"


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    line: int


def _is_ident_start(c: str) -> bool:
    return c == "_" or c.isalpha()


def _is_ident_char(c: str) -> bool:
    return c == "_" or c.isalnum()


def lex(src: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n, line = 0, len(src), 1

    def skip_quoted(j: int) -> int:
        """j is just past the opening quote; returns the index just past the closing one."""
        nonlocal line
        while j < n:
            c = src[j]
            if c == "\\":
                if j + 1 < n and src[j + 1] == "\n":
                    line += 1
                j += 2
                continue
            if c == "\n":
                line += 1
            if c == '"':
                return j + 1
            j += 1
        return n

    def skip_raw(j: int) -> int:
        """j is at the `#`s or the quote after an `r` prefix; returns the index past the end."""
        nonlocal line
        hashes = 0
        while j < n and src[j] == "#":
            hashes += 1
            j += 1
        if j >= n or src[j] != '"':
            return -1
        close = '"' + "#" * hashes
        end = src.find(close, j + 1)
        end = n if end < 0 else end + len(close)
        line += src.count("\n", j, end)
        return end

    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
            continue
        if src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth += 1
                    j += 2
                elif src.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    if src[j] == "\n":
                        line += 1
                    j += 1
            i = j
            continue
        start_line, start = line, i
        # String-like literals with a prefix: b"", c"", r"", r#""#, br"", cr"", b''.
        if c in "bcr" and i + 1 < n:
            j = i + 1
            if c in "bc" and src[j] == "r":
                j += 1
            if src[i] in "bc" and j == i + 1 and src[j] == '"':
                i = skip_quoted(j + 1)
                toks.append(Tok(LIT, '""', start_line))
                continue
            if (src[j - 1] == "r") and j < n and src[j] in '#"':
                # r#ident is a raw identifier, not a string.
                if src[j] == "#" and j + 1 < n and _is_ident_start(src[j + 1]):
                    k = j + 1
                    while k < n and _is_ident_char(src[k]):
                        k += 1
                    toks.append(Tok(ID, src[j + 1 : k], start_line))
                    i = k
                    continue
                end = skip_raw(j)
                if end >= 0:
                    toks.append(Tok(LIT, '""', start_line))
                    i = end
                    continue
            if c == "b" and src[i + 1] == "'":
                j = i + 2
                if j < n and src[j] == "\\":
                    j += 2
                while j < n and src[j] != "'":
                    j += 1
                toks.append(Tok(LIT, "''", start_line))
                i = j + 1
                continue
        if c == '"':
            i = skip_quoted(i + 1)
            toks.append(Tok(LIT, src[start : i], start_line))  # kept: `#[path = ".."]`
            continue
        if c == "'":
            # A char literal ('x', '\n', '\u{..}') or a lifetime/label ('a, 'static).
            if i + 1 < n and src[i + 1] == "\\":
                j = i + 2
                if j < n:
                    j += 1
                while j < n and src[j] != "'" and src[j] != "\n":
                    j += 1
                toks.append(Tok(LIT, "''", start_line))
                i = j + 1
                continue
            if i + 2 < n and src[i + 2] == "'":
                toks.append(Tok(LIT, "''", start_line))
                i += 3
                continue
            j = i + 1
            while j < n and _is_ident_char(src[j]):
                j += 1
            toks.append(Tok(LIT, "'lifetime", start_line))
            i = max(j, i + 1)
            continue
        if _is_ident_start(c):
            j = i + 1
            while j < n and _is_ident_char(src[j]):
                j += 1
            toks.append(Tok(ID, src[i:j], start_line))
            i = j
            continue
        if c.isdigit():
            j = i + 1
            while j < n and (_is_ident_char(src[j]) or (src[j] == "." and j + 1 < n and src[j + 1].isdigit())):
                j += 1
            toks.append(Tok(LIT, "0", start_line))
            i = j
            continue
        if src.startswith("::", i):
            toks.append(Tok(PUNCT, "::", start_line))
            i += 2
            continue
        if c == "$" and src.startswith("crate", i + 1) and not (
            i + 6 < n and _is_ident_char(src[i + 6])
        ):
            toks.append(Tok(ID, "crate", start_line))  # `$crate` in macro_rules
            i += 6
            continue
        toks.append(Tok(PUNCT, c, start_line))
        i += 1
    return toks


KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use",
    "where", "while", "Self", "union", "macro_rules",
}
PATH_ROOTS = {"crate", "self", "super"}
OPEN = {"(": ")", "[": "]", "{": "}"}
CLOSE = {")", "]", "}"}

# --------------------------------------------------------------------------------------------
# Module tree and the raw paths each module mentions.
# --------------------------------------------------------------------------------------------


@dataclass
class PathRef:
    segs: tuple[str, ...]
    line: int
    text: str
    binding: str | None = None  # the name a `use` leaf binds (None for globs and code paths)
    glob: bool = False


@dataclass(eq=False)
class Module:
    name: str
    file: Path
    parent: "Module | None"
    children_dir: Path  # where `mod x;` inside this module looks for x.rs / x/mod.rs
    path_base: Path  # what `#[path = ".."]` inside this module is relative to
    children: dict[str, "Module"] = field(default_factory=dict)
    refs: list[PathRef] = field(default_factory=list)
    aliases: dict[str, "Module"] = field(default_factory=dict)
    globs: list["Module"] = field(default_factory=list)

    def modpath(self) -> str:
        parts = []
        m: Module | None = self
        while m is not None and m.parent is not None:
            parts.append(m.name)
            m = m.parent
        return "::".join(["crate", *reversed(parts)])


class CrateError(Exception):
    pass


def _match(toks: list[Tok], i: int) -> int:
    """toks[i] opens a group; returns the index of its closing token (or len(toks))."""
    depth = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.kind == PUNCT:
            if t.text in OPEN:
                depth += 1
            elif t.text in CLOSE:
                depth -= 1
                if depth == 0:
                    return i
        i += 1
    return n


def _skip_item(toks: list[Tok], i: int, end: int) -> int:
    """Returns the index just past the item/statement starting at i (`;`, or a `{}` body)."""
    depth = 0
    while i < end:
        t = toks[i]
        if t.kind == PUNCT:
            if t.text in OPEN:
                if t.text == "{" and depth == 0:
                    return _match(toks, i) + 1
                depth += 1
            elif t.text in CLOSE:
                if depth == 0:
                    return i  # the enclosing group ends: the item ran to it
                depth -= 1
            elif t.text == ";" and depth == 0:
                return i + 1
        i += 1
    return end


def _cfg_requires_test(toks: list[Tok]) -> bool:
    """toks: the tokens of a cfg predicate; True if it only holds under `test`."""

    def parse(i: int) -> tuple[object, int]:
        t = toks[i] if i < len(toks) else None
        if t is None or t.kind != ID:
            return None, i + 1
        name = t.text
        if i + 1 < len(toks) and toks[i + 1].text == "(":
            close = _match(toks, i + 1)
            args, j = [], i + 2
            while j < close:
                node, j = parse(j)
                args.append(node)
                # skip to the next `,` at this level
                while j < close and toks[j].text != ",":
                    j = _match(toks, j) + 1 if toks[j].text in OPEN else j + 1
                j += 1
            return (name, args), close + 1
        if i + 1 < len(toks) and toks[i + 1].text == "=":
            return ("=", name), i + 3
        return name, i + 1

    def requires(node: object) -> bool:
        if node == "test":
            return True
        if isinstance(node, tuple) and len(node) == 2 and isinstance(node[1], list):
            op, args = node
            if op == "all":
                return any(requires(a) for a in args)
            if op == "any":
                return bool(args) and all(requires(a) for a in args)
        return False

    node, _ = parse(0)
    return requires(node)


def _attr_info(attr: list[Tok]) -> tuple[bool, str | None]:
    """attr: the tokens between `#[` and `]`. Returns (is cfg(test)-only, #[path] value)."""
    if not attr or attr[0].kind != ID:
        return False, None
    if attr[0].text == "cfg" and len(attr) > 2 and attr[1].text == "(":
        return _cfg_requires_test(attr[2 : _match(attr, 1)]), None
    if attr[0].text == "path" and len(attr) >= 3 and attr[1].text == "=":
        value = attr[2].text
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return False, value[1:-1]
    return False, None


def _join(toks: list[Tok]) -> str:
    """Source-like text of a token run (for messages)."""
    out = ""
    for t in toks:
        if t.text == "as":
            out += " as "
        elif t.text == ",":
            out += ", "
        else:
            out += t.text
    return out


class Parser:
    def __init__(self, crate_root: Path):
        self.crate_root = crate_root
        self.files: set[Path] = set()
        self.warnings: list[str] = []

    def load_file(self, mod: Module, path: Path) -> None:
        try:
            src = path.read_text(encoding="utf-8")
        except OSError as e:
            raise CrateError(f"cannot read {path}: {e}") from e
        self.files.add(path)
        toks = lex(src)
        self.parse_body(mod, toks, 0, len(toks), top_of_file=True)

    def parse_body(self, mod: Module, toks: list[Tok], i: int, end: int,
                   top_of_file: bool = False) -> None:
        pending_test = False
        pending_path: str | None = None
        prev: Tok | None = None
        while i < end:
            t = toks[i]
            # Attributes.
            if t.text == "#" and t.kind == PUNCT and i + 1 < end:
                inner = toks[i + 1].text == "!"
                j = i + 2 if inner else i + 1
                if j < end and toks[j].text == "[":
                    close = _match(toks, j)
                    is_test, path_attr = _attr_info(toks[j + 1 : close])
                    if inner:
                        if is_test and top_of_file:
                            return  # #![cfg(test)]: the whole file is test code
                    else:
                        pending_test = pending_test or is_test
                        pending_path = path_attr if path_attr is not None else pending_path
                    i = close + 1
                    prev = None
                    continue
            if pending_test:
                i = _skip_item(toks, i, end)
                pending_test, pending_path, prev = False, None, None
                continue
            # Visibility: `pub(crate)`, `pub(in crate::a)` are not paths to follow.
            if t.kind == ID and t.text == "pub" and i + 1 < end and toks[i + 1].text == "(":
                i = _match(toks, i + 1) + 1
                prev = None
                continue
            if t.kind == ID and t.text == "mod" and i + 2 <= end and toks[i + 1].kind == ID:
                name = toks[i + 1].text
                after = toks[i + 2].text if i + 2 < end else ";"
                if after == ";":
                    self.add_file_module(mod, name, pending_path)
                    i += 3
                elif after == "{":
                    close = _match(toks, i + 2)
                    child = Module(
                        name=name,
                        file=mod.file,
                        parent=mod,
                        children_dir=mod.children_dir / name,
                        path_base=mod.children_dir / name,
                    )
                    mod.children[name] = child
                    self.parse_body(child, toks, i + 3, close)
                    i = close + 1
                else:
                    i += 2
                pending_path, prev = None, None
                continue
            pending_path = None
            if t.kind == ID and t.text == "use" and i + 1 < end and toks[i + 1].text != "<":
                semi = i + 1
                while semi < end and toks[semi].text != ";":
                    semi += 1
                public = i > 0 and toks[i - 1].text in ("pub", ")")
                self.parse_use(mod, toks[i + 1 : semi], public)
                i = semi + 1
                prev = None
                continue
            # A path in code.
            if t.kind == ID and i + 2 < end and toks[i + 1].text == "::" and toks[i + 2].kind == ID:
                after_sep = prev is not None and prev.text in ("::", ".")
                if not after_sep and (t.text in PATH_ROOTS or t.text not in KEYWORDS):
                    segs = [t.text]
                    j = i + 1
                    while j + 1 < end and toks[j].text == "::" and toks[j + 1].kind == ID:
                        segs.append(toks[j + 1].text)
                        j += 2
                    mod.refs.append(PathRef(tuple(segs), t.line, "::".join(segs)))
                    prev = toks[j - 1]
                    i = j
                    continue
            prev = t
            i += 1

    def parse_use(self, mod: Module, toks: list[Tok], public: bool = False) -> None:
        if not toks:
            return
        line = toks[0].line
        text = ("pub use " if public else "use ") + _join(toks) + ";"

        def tree(i: int, prefix: tuple[str, ...]) -> int:
            segs = list(prefix)
            if i < len(toks) and toks[i].text == "::":
                i += 1  # leading `::` (extern crate path)
                if not prefix:
                    segs.append("::")
            while i < len(toks):
                t = toks[i]
                if t.text == "{":
                    close = _match(toks, i)
                    j = i + 1
                    while j < close:
                        j = tree(j, tuple(segs))
                        if j < close and toks[j].text == ",":
                            j += 1
                    return close + 1
                if t.text == "*":
                    mod.refs.append(PathRef(tuple(segs), line, text, glob=True))
                    return i + 1
                if t.kind == ID:
                    segs.append(t.text)
                    i += 1
                    if i < len(toks) and toks[i].text == "::":
                        i += 1
                        continue
                    binding = segs[-1]
                    if i + 1 < len(toks) and toks[i].text == "as":
                        binding = toks[i + 1].text
                        i += 2
                    if segs[-1] == "self" and len(segs) > 1:
                        segs.pop()  # `a::{self}` is `a`
                        if binding == "self":
                            binding = segs[-1]
                    mod.refs.append(PathRef(tuple(segs), line, text, binding=binding))
                    return i
                return i + 1  # unexpected token: stop this branch
            return i

        tree(0, ())

    def add_file_module(self, mod: Module, name: str, path_attr: str | None) -> None:
        if path_attr is not None:
            file = (mod.path_base / path_attr).resolve()
            children_dir = file.parent  # a #[path] file is treated like a mod.rs
        else:
            flat = mod.children_dir / f"{name}.rs"
            nested = mod.children_dir / name / "mod.rs"
            if flat.is_file():
                file, children_dir = flat, mod.children_dir / name
            elif nested.is_file():
                file, children_dir = nested, nested.parent
            else:
                self.warnings.append(
                    f"{mod.file}: `mod {name};` has no file ({flat} or {nested}); skipped"
                )
                return
        if not file.is_file():
            self.warnings.append(f"{mod.file}: `mod {name};` path {file} not found; skipped")
            return
        child = Module(name=name, file=file, parent=mod, children_dir=children_dir,
                       path_base=file.parent)
        mod.children[name] = child
        self.load_file(child, file)


# --------------------------------------------------------------------------------------------
# Resolution and the graph.
# --------------------------------------------------------------------------------------------


def _all_modules(root: Module) -> list[Module]:
    out, stack = [], [root]
    while stack:
        m = stack.pop()
        out.append(m)
        stack.extend(m.children.values())
    return out


def _lookup_scope(mod: Module, name: str, seen: set[int] | None = None) -> Module | None:
    """A module that `name` denotes inside `mod`: a child, a `use`d module, or via a glob."""
    if name in mod.children:
        return mod.children[name]
    if name in mod.aliases:
        return mod.aliases[name]
    seen = seen or set()
    seen.add(id(mod))
    for g in mod.globs:
        if id(g) in seen:
            continue
        found = _lookup_scope(g, name, seen)
        if found is not None:
            return found
    return None


def _resolve(mod: Module, segs: tuple[str, ...], root: Module) -> tuple[Module | None, bool]:
    """Returns (deepest module the path reaches, whether every segment was a module)."""
    if not segs or segs[0] == "::":
        return None, False
    first = segs[0]
    if first == "crate":
        cur = root
    elif first == "self":
        cur = mod
    elif first == "super":
        cur = mod.parent
        if cur is None:
            return None, False
    else:
        cur = _lookup_scope(mod, first)
        if cur is None:
            return None, False
    for s in segs[1:]:
        if s == "super":
            if cur.parent is None:
                return None, False
            cur = cur.parent
        elif s == "self":
            continue
        elif s in cur.children:
            cur = cur.children[s]
        else:
            return cur, False
    return cur, True


@dataclass
class CrateGraph:
    title: str
    src_dir: Path
    files: list[Path]
    edges: dict[Path, dict[Path, list[tuple[int, str]]]]
    warnings: list[str]


def build_graph(title: str, root_file: Path) -> CrateGraph:
    root_file = root_file.resolve()
    parser = Parser(root_file)
    root = Module(name="crate", file=root_file, parent=None,
                  children_dir=root_file.parent, path_base=root_file.parent)
    parser.load_file(root, root_file)
    modules = _all_modules(root)
    # Bindings from `use` (module aliases and globs) may build on each other: iterate.
    changed = True
    while changed:
        changed = False
        for m in modules:
            for r in m.refs:
                if r.glob:
                    target, complete = _resolve(m, r.segs, root)
                    if target is not None and complete and target not in m.globs:
                        m.globs.append(target)
                        changed = True
                elif r.binding is not None and r.binding not in m.aliases and r.binding != "_":
                    target, complete = _resolve(m, r.segs, root)
                    if target is not None and complete and r.binding not in m.children:
                        m.aliases[r.binding] = target
                        changed = True
    edges: dict[Path, dict[Path, list[tuple[int, str]]]] = {f: {} for f in parser.files}
    for m in modules:
        for r in m.refs:
            target, _ = _resolve(m, r.segs, root)
            if target is None or target.file == m.file:
                continue
            edges[m.file].setdefault(target.file, []).append((r.line, r.text))
    return CrateGraph(title, root_file.parent, sorted(parser.files), edges, parser.warnings)


def strongly_connected(nodes: list[Path], edges: dict[Path, dict[Path, list]]) -> list[list[Path]]:
    """Tarjan's algorithm, iterative."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    on_stack: set[Path] = set()
    stack: list[Path] = []
    out: list[list[Path]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def shortest_cycle(start: Path, comp: set[Path], edges: dict[Path, dict[Path, list]]) -> list[Path]:
    """The shortest cycle through `start` inside the component, as [start, .., start]."""
    prev: dict[Path, Path] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        v = queue.popleft()
        for w in sorted(edges.get(v, {})):
            if w not in comp:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
            if w not in seen:
                seen.add(w)
                prev[w] = v
                queue.append(w)
    return [start]


# --------------------------------------------------------------------------------------------
# Workspace discovery.
# --------------------------------------------------------------------------------------------


def _load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise CrateError(f"cannot read {path}: {e}") from e


def find_packages(root: Path) -> list[Path]:
    """Directories of the workspace's packages (the root's own package first)."""
    manifest = _load_toml(root / "Cargo.toml")
    dirs: list[Path] = []
    if "package" in manifest:
        dirs.append(root)
    ws = manifest.get("workspace", {})
    excluded = {(root / e).resolve() for e in ws.get("exclude", [])}
    for member in ws.get("members", []):
        for d in sorted(glob.glob(str(root / member))):
            p = Path(d).resolve()
            if p in excluded or p == root.resolve() or not (p / "Cargo.toml").is_file():
                continue
            if p not in dirs:
                dirs.append(p)
    return dirs


def package_targets(pkg_dir: Path) -> tuple[str, list[tuple[str, Path]]]:
    """(package name, [(target title, root file)]) for the lib and bin targets."""
    manifest = _load_toml(pkg_dir / "Cargo.toml")
    pkg = manifest.get("package", {})
    name = pkg.get("name", pkg_dir.name)
    targets: list[tuple[str, Path]] = []
    seen: set[Path] = set()

    def add(kind: str, tname: str, path: Path) -> None:
        path = path.resolve()
        if path.is_file() and path not in seen:
            seen.add(path)
            targets.append((f"{kind} {tname}", path))

    lib = manifest.get("lib")
    if lib is not None and "path" in lib:
        add("lib", lib.get("name", name.replace("-", "_")), pkg_dir / lib["path"])
    elif pkg.get("autolib", True) or lib is not None:
        add("lib", (lib or {}).get("name", name.replace("-", "_")), pkg_dir / "src" / "lib.rs")
    for b in manifest.get("bin", []):
        bname = b.get("name", name)
        if "path" in b:
            add("bin", bname, pkg_dir / b["path"])
        else:
            for cand in (pkg_dir / "src" / "bin" / f"{bname}.rs",
                         pkg_dir / "src" / "bin" / bname / "main.rs",
                         pkg_dir / "src" / "main.rs"):
                if cand.is_file():
                    add("bin", bname, cand)
                    break
    if pkg.get("autobins", True):
        add("bin", name, pkg_dir / "src" / "main.rs")
        bin_dir = pkg_dir / "src" / "bin"
        if bin_dir.is_dir():
            for entry in sorted(bin_dir.iterdir()):
                if entry.suffix == ".rs" and entry.is_file():
                    add("bin", entry.stem, entry)
                elif (entry / "main.rs").is_file():
                    add("bin", entry.name, entry / "main.rs")
    return name, targets


# --------------------------------------------------------------------------------------------


def _rel(p: Path, base: Path) -> str:
    try:
        return p.relative_to(base).as_posix()
    except ValueError:
        return os.path.relpath(p, base)


def check(root: Path, out=sys.stdout, err=sys.stderr, show_graph: bool = False) -> int:
    root = root.resolve()
    packages = find_packages(root)
    cycles_found = 0
    for pkg_dir in packages:
        name, targets = package_targets(pkg_dir)
        if not targets:
            print(f"{name}: no lib or bin target found", file=err)
            continue
        for title, root_file in targets:
            g = build_graph(f"{name} ({title})", root_file)
            for w in g.warnings:
                print(f"warning: {w}", file=err)
            base = g.src_dir
            n_edges = sum(len(v) for v in g.edges.values())
            comps = [c for c in strongly_connected(g.files, g.edges) if len(c) > 1]
            where = _rel(root_file, root)
            if show_graph:
                print(f"graph of {g.title} [{where}]:", file=out)
                for a in g.files:
                    for b in sorted(g.edges.get(a, {})):
                        line, text = g.edges[a][b][0]
                        print(f"  {_rel(a, base)} -> {_rel(b, base)}  ({_rel(a, base)}:{line}  "
                              f"{text})", file=out)
            if not comps:
                print(f"ok   {g.title} [{where}]: {len(g.files)} files, {n_edges} file imports, "
                      "no cycle", file=out)
                continue
            cycles_found += len(comps)
            print(f"FAIL {g.title} [{where}]: {len(g.files)} files, {n_edges} file imports, "
                  f"{len(comps)} cycle(s)", file=out)
            for k, comp in enumerate(comps, 1):
                members = set(comp)
                # The shortest cycle through each file of the group, each printed once.
                shown: list[list[Path]] = []
                for start in comp:
                    cyc = shortest_cycle(start, members, g.edges)
                    ring = cyc[:-1]
                    pivot = ring.index(min(ring))
                    ring = ring[pivot:] + ring[:pivot]
                    if ring not in shown:
                        shown.append(ring)
                print(f"  cycle {k}: {len(comp)} files: "
                      f"{', '.join(_rel(p, base) for p in comp)}", file=out)
                for ring in shown:
                    print(f"    {' -> '.join(_rel(p, base) for p in [*ring, ring[0]])}", file=out)
                print("    imports inside it (file:line  what):", file=out)
                for a in comp:
                    for b in sorted(g.edges.get(a, {})):
                        if b not in members:
                            continue
                        sites = g.edges[a][b]
                        first_line, first_text = sites[0]
                        more = f"  (+{len(sites) - 1} more)" if len(sites) > 1 else ""
                        print(f"      {_rel(a, base)} -> {_rel(b, base)}: "
                              f"{_rel(a, base)}:{first_line}  {first_text}{more}", file=out)
    if cycles_found:
        print(f"\n{cycles_found} import cycle(s) between source files: break each one by moving "
              "the shared items into a module that both sides import.", file=out)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the workspace root (default: this repository)")
    ap.add_argument("--graph", action="store_true",
                    help="also print every file-to-file import (with its first line)")
    args = ap.parse_args(argv)
    try:
        return check(args.root, show_graph=args.graph)
    except CrateError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
