#!/usr/bin/env python3
"""Writes the Tauri config overlay for the Linux packages (scripts/package.sh passes it to
`tauri bundle --config`).

The static half (descriptions, maintainer, sections) is packaging/linux/bundle.json; this adds
what depends on the build: absolute paths of the extra files (the target directory is outside
the clone, and Tauri resolves relative paths against the config's folder), the icon set, and
the dependencies read from the binaries themselves.

Usage: package_config.py --work DIR --cli BIN --app BIN --out FILE
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "packaging/linux/bundle.json"

# The hicolor theme's fixed sizes that desktops look up for an application icon.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# The Tauri CLI adds these itself (unversioned for the .deb, by soname for the .rpm): the
# tray's libayatana-appindicator3, which is loaded with dlopen so no ELF NEEDED entry names it,
# WebKitGTK and GTK. The .rpm's list leaves them out rather than naming them twice; the .deb's
# keeps the versions dpkg-shlibdeps found beside Tauri's unversioned names.
ADDED_BY_TAURI_RPM = {"libayatana-appindicator3.so.1", "libwebkit2gtk-4.1.so.0", "libgtk-3.so.0"}


class PackagingError(Exception):
    """A step of the package configuration failed; the message says which and why."""


def run(cmd: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise PackagingError(f"{cmd[0]} is not installed ({e})") from e
    except subprocess.CalledProcessError as e:
        raise PackagingError(f"{' '.join(cmd)} failed:\n{e.stderr}") from e
    return done.stdout


def deb_depends(binaries: list[Path], work: Path) -> list[str]:
    """Debian dependencies with the lowest versions the binaries' symbols need, as
    dpkg-shlibdeps computes them from the installed libraries' shlibs/symbols files.

    Built on Debian 12 (the oldest base we support with Ubuntu 22.04) the names are the
    pre-t64 ones, which Ubuntu 24.04's renamed libraries still provide with a version."""
    # dpkg-shlibdeps only runs inside a source package: give it the smallest one.
    src = work / "shlibdeps"
    (src / "debian").mkdir(parents=True, exist_ok=True)
    (src / "debian/control").write_text(
        "Source: streamwatch\n\nPackage: streamwatch\nArchitecture: any\n"
    )
    out = run(["dpkg-shlibdeps", "-O", *(f"-e{b}" for b in binaries)], cwd=src)
    match = re.search(r"^shlibs:Depends=(.*)$", out, re.MULTILINE)
    if not match:
        raise PackagingError(f"dpkg-shlibdeps printed no shlibs:Depends line:\n{out}")
    return [d.strip() for d in match.group(1).split(",") if d.strip()]


def rpm_requires(binaries: list[Path]) -> list[str]:
    """RPM requirements by soname, as rpmbuild's find-requires writes them: the same strings
    on Fedora, openSUSE and the rest, whatever each names its packages."""
    sonames: set[str] = set()
    for b in binaries:
        for line in run(["readelf", "-d", str(b)]).splitlines():
            m = re.search(r"\(NEEDED\)\s+Shared library: \[(.+)\]", line)
            if m:
                sonames.add(m.group(1))
    return sorted(f"{s}()(64bit)" for s in sonames - ADDED_BY_TAURI_RPM)


def icons(work: Path) -> list[str]:
    """One PNG per hicolor size, named `<n>x<n>.png`: the drawn ones where they exist, the
    rest scaled from the 512 px one. (Tauri names the folder after the file: a name with
    `@2x` would land in `256x256@2`, a folder no icon theme reads.)"""
    drawn = {
        32: ROOT / "src-tauri/icons/32x32.png",
        128: ROOT / "src-tauri/icons/128x128.png",
        256: ROOT / "src-tauri/icons/128x128@2x.png",
        512: ROOT / "src-tauri/icons/icon.png",
    }
    out_dir = work / "icons"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in ICON_SIZES:
        dest = out_dir / f"{n}x{n}.png"
        if n in drawn:
            dest.write_bytes(drawn[n].read_bytes())
        else:
            run(["convert", str(drawn[512]), "-resize", f"{n}x{n}", "-strip", f"PNG32:{dest}"])
        paths.append(str(dest))
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="scratch folder for generated files")
    ap.add_argument("--cli", type=Path, required=True, help="the stripped streamwatch binary")
    ap.add_argument("--app", type=Path, required=True, help="the streamwatch-app binary")
    ap.add_argument("--doc", type=Path, required=True, help="folder with copyright and changelog.gz")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    try:
        config = json.loads(STATIC.read_text())
        bundle = config["bundle"]
        maintainer = os.environ.get("STREAMWATCH_MAINTAINER")
        if maintainer:
            bundle["publisher"] = maintainer
        binaries = [args.app, args.cli]
        systemd = ROOT / "deploy/systemd"
        files = {
            "/usr/bin/streamwatch": str(args.cli),
            "/usr/lib/systemd/system/streamwatch.service": str(systemd / "streamwatch.service"),
            # The user unit keeps the name its own comment tells people to enable it by.
            "/usr/lib/systemd/user/streamwatch.service": str(systemd / "streamwatch-user.service"),
        }
        deb_files = dict(files)
        # The units' Documentation= points here. Not in the .rpm: its bundler cannot mark a
        # file as documentation, and rpmlint refuses undeclared files in /usr/share/doc.
        deb_files["/usr/share/doc/streamwatch/README.md"] = str(ROOT / "README.md")
        deb_files["/usr/share/doc/streamwatch/copyright"] = str(args.doc / "copyright")
        deb_files["/usr/share/doc/streamwatch/changelog.gz"] = str(args.doc / "changelog.gz")
        bundle["icon"] = icons(args.work)
        bundle["linux"]["deb"].update(
            files=deb_files,
            depends=deb_depends(binaries, args.work),
            desktopTemplate=str(ROOT / "packaging/linux/streamwatch.desktop.hbs"),
        )
        bundle["linux"]["rpm"].update(
            files=files,
            depends=rpm_requires(binaries),
            desktopTemplate=str(ROOT / "packaging/linux/streamwatch.desktop.hbs"),
        )
        args.out.write_text(json.dumps(config, indent=2) + "\n")
    except (PackagingError, OSError, KeyError, json.JSONDecodeError) as e:
        print(f"package_config: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
