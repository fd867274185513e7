#!/usr/bin/env python3
"""Copy the parts of a LightGBM source tree that this crate compiles into ../lightgbm.

Usage: python3 scripts/vendor.py PATH/TO/LightGBM   (a checkout with its submodules,
or the `lightgbm/` folder of the lightgbm3-sys crate, which bundles the same tree)

Copied: LightGBM's LICENSE, VERSION.txt and CMakeLists.txt (build.rs reads the
source lists from it), include/ and src/ whole, and from external_libs/ only the
headers and sources that LightGBM's own files reach through #include (every
#if branch is followed, so headers for other CPUs and for the gpu/cuda builds are
kept), plus each external library's licence files. Only needed to update
LightGBM; building needs no Python.
"""

import re
import shutil
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)

# external_libs/<lib>: (include roots, extra files to copy whole, licence files)
EXTERNAL = {
    "eigen": (["."], [], ["COPYING.APACHE", "COPYING.BSD", "COPYING.GPL", "COPYING.LGPL",
                          "COPYING.MINPACK", "COPYING.MPL2", "COPYING.README"]),
    "fast_double_parser": (["include"], [], ["LICENSE", "LICENSE.BSL"]),
    "fmt": (["include"], [], ["LICENSE"]),
    "compute": (["include"], [], ["LICENSE_1_0.txt"]),
    # nanoarrow's C sources are compiled (CMake's nanoarrow_static); its
    # config header is generated from the template by build.rs.
    "nanoarrow": (["src"], ["src/nanoarrow/common/array.c", "src/nanoarrow/common/schema.c",
                            "src/nanoarrow/common/array_stream.c", "src/nanoarrow/common/utils.c",
                            "src/nanoarrow/nanoarrow_config.h.in"],
                  ["LICENSE.txt", "NOTICE.txt"]),
}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1]).resolve()
    dst = (Path(__file__).resolve().parent.parent / "lightgbm")
    ext = src / "external_libs"
    search = [src / "include"] + [ext / lib / r for lib, (roots, _, _) in EXTERNAL.items() for r in roots]

    own = [p for d in ("include", "src") for p in (src / d).rglob("*") if p.is_file()]
    extra = [ext / lib / f for lib, (_, files, _) in EXTERNAL.items() for f in files]
    seen: set[Path] = set()
    todo = list(own) + extra
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in INCLUDE.findall(text):
            for base in [f.parent] + search:
                cand = (base / name).resolve()
                if cand.is_file() and cand.is_relative_to(src):
                    todo.append(cand)
                    break

    if dst.exists():
        shutil.rmtree(dst)
    copied = sorted(seen | {src / n for n in ("LICENSE", "VERSION.txt", "CMakeLists.txt")}
                    | {ext / lib / l for lib, (_, _, lics) in EXTERNAL.items() for l in lics})
    for f in copied:
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, out)
    print(f"copied {len(copied)} files into {dst}")


if __name__ == "__main__":
    main()
