#!/usr/bin/env python3
"""The component's core module, its size by crate: `twiggy top` summed by the first crate
name in each item's (demangled) name. See host-harness/component-artifact/size/README.md for how to get the module.

usage: size_by_crate.py CORE_MODULE.wasm [ROWS]
"""
import collections
import csv
import re
import subprocess
import sys

CRATE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::")
LEADING = re.compile(r"^(<|&|\*const |\*mut |mut |dyn |impl |\(|\[)+")
SECTIONS = ("code[", "type[", "table[", "elem[", "global[", "import ", "export ")
# Inherent methods of primitive types (`<u128>::_fmt_inner`, `<str>::split_at`): core's.
PRIMITIVE = re.compile(r"^<(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|char|str|bool|f32|f64|\[.*\])>::")


def crate_of(name: str) -> str:
    if name.startswith(("data[", "data segment")):
        return "data segments (.rodata, .data)"
    if name.startswith(SECTIONS):
        return "wasm sections (" + name.split("[")[0].split(" ")[0] + ")"
    if name.startswith(("cxm:", "cabi_", "wasi:")):
        return "servicenow_ticketing"  # the generated export and import glue
    if PRIMITIVE.match(name):
        return "core"
    match = CRATE.search(LEADING.sub("", name))
    if not match or match.group(1) in ("_", "T", "F"):
        return "C symbols (wasi-libc with std; without: memcmp, compiler-builtins)"
    return match.group(1)


def main() -> None:
    path = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    out = subprocess.run(
        ["twiggy", "top", "-n", "1000000", "-f", "csv", path],
        capture_output=True, text=True, check=True,
    ).stdout
    sizes = collections.Counter()
    names_and_debug = 0
    for row in csv.DictReader(out.splitlines()):
        name, size = row["Name"], int(row["ShallowSize"])
        if name.startswith(("custom section", '"')) and any(
            s in name for s in ("debug", "name", "producers", "target_features", "component-type")
        ):
            # Gone from the stripped release build; the component type wit-bindgen embeds
            # (in a module linked with --skip-wit-component) goes into the wrapper's types.
            names_and_debug += size
            continue
        sizes[crate_of(name)] += size
    print(f"code and data: {sum(sizes.values())} bytes "
          f"(names, debug and component-type sections left out: {names_and_debug})")
    for crate, size in sizes.most_common(rows):
        print(f"{size:>8}  {size / 1024:6.1f} K  {crate}")


if __name__ == "__main__":
    main()
