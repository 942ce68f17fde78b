#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The tables of make bench, from the guests' blocks (vidshare.py's blocks.json).

  bench-report.py --out DIR --runs R [--wall S] --kernel LABEL RELEASE KDIR...

For each kernel (in the order given): the mapping table (rows: interfaces;
columns: the cells of vidshare_bench; each the median in µs of guest time),
vidshare's ratio to the best peer (resource0, fb0, VFIO) per column, and
SHARE's to the best eager peer (resource0, fb0: they fill every entry when
they map, as SHARE does, where VFIO fills on the first touch); the
scaling table (rows: N live mappings); the page tables of one 16 MiB
mapping. Writes DIR/results.json (everything) and DIR/bench.png (gnuplot).
KDIR holds guest/blocks.json, guest.log (vidshare.py's output, whose "+ "
line is the QEMU command) and guest-seconds.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

# The blocks of the bench plan (see the plans file): interface -> block.
BLOCKS = {"share": "bench_share", "mmap": "bench_mmap", "fb0": "bench_fb0",
          "resource0": "bench_resource0", "vfio": "bench_vfio"}
ROWS = [("share", "vidshare SHARE/UNSHARE"), ("mmap", "vidshare mmap(2)"),
        ("fb0", "fbdev /dev/fb0 (vesafb)"), ("resource0", "sysfs resource0"),
        ("vfio", "VFIO type1")]
PEERS = ("resource0", "fb0", "vfio")
# The peers that fill every entry when they map, as SHARE does: in the
# "no touch" column the others map nothing yet.
EAGER = ("resource0", "fb0")
COLUMNS = [("16M", "16 MiB kernel-placed"), ("16M_hint", "16 MiB hint 2M+4K"),
           ("1M", "1 MiB"), ("4K", "4 KiB"), ("16M_notouch", "16 MiB no touch")]
SHORT = {"share": "SHARE", "mmap": "mmap", "fb0": "fb0", "resource0": "resource0",
         "vfio": "VFIO"}
SCALE_N = ("0", "100", "1000", "10000")
SCALED = ("share", "resource0", "vfio")


def parse_block(text):
    """vidshare_bench's JSON document in a block's text (stderr may be mixed in)."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(text[start:])[0]
    except ValueError:
        return None


def load_kernel(label, release, kdir):
    path = os.path.join(kdir, "guest", "blocks.json")
    blocks = json.load(open(path)) if os.path.exists(path) else {}
    k = {"label": label, "release": release, "interfaces": {}, "problems": [],
         "guest_blocks_rc": {name: rc for name, (rc, _) in blocks.items()}}
    for name in ("settle", "env", "vidshare_load", "vfio_bind"):
        if name in blocks:
            k[name] = blocks[name][1]
    for iface, block in BLOCKS.items():
        if block not in blocks:
            k["problems"].append(f"{block}: never arrived")
            continue
        doc = parse_block(blocks[block][1])
        if doc is None:
            k["problems"].append(f"{block}: no JSON (rc {blocks[block][0]}): "
                                 + blocks[block][1].strip()[-200:])
            continue
        if "error" in doc:
            k["problems"].append(f"{block}: {doc['error']}")
        k["interfaces"][iface] = doc
    for name in ("settle", "vidshare_load", "vfio_bind"):
        rc = blocks.get(name, (None, ""))[0]
        if rc != 0:
            k["problems"].append(f"{name}: rc {rc}: " + blocks.get(name, (0, ""))[1].strip()[-200:])
    log = os.path.join(kdir, "guest.log")
    if os.path.exists(log):
        for line in open(log):
            if line.startswith("+ qemu-system"):
                k["qemu_command"] = line[2:].strip()
    secs = os.path.join(kdir, "guest-seconds")
    if os.path.exists(secs):
        k["guest_wall_seconds"] = int(open(secs).read().strip() or 0)
    return k


def median(k, iface, cell):
    doc = k["interfaces"].get(iface, {})
    return doc.get("cells", {}).get(cell, {}).get("median_us")


def scaled(k, iface, mode, n):
    doc = k["interfaces"].get(iface, {})
    return doc.get("scaling", {}).get(mode, {}).get(n, {}).get("median_us")


def fmt(v, ratio=False):
    if v is None:
        return "-"
    if ratio:
        return f"{v:.2f}x"
    return f"{v:,.1f}" if v < 1000 else f"{v:,.0f}"


def table(rows, head):
    width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = ["  " + "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                              for i, (h, w) in enumerate(zip(head, width)))]
    for r in rows:
        lines.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                      for i, (c, w) in enumerate(zip(r, width))))
    return "\n".join(lines)


def best_peer(k, cell, peers=PEERS):
    vals = [(median(k, p, cell), p) for p in peers if median(k, p, cell) is not None]
    return min(vals) if vals else (None, None)


def report(k, runs):
    out = []
    out.append(f"{k['label']} ({k['release']}): map + one store a 4 KiB page + unmap, "
               f"median of {runs}, µs of guest time (icount: 1 µs = 1,000 guest instructions)")
    rows = [[name] + [fmt(median(k, i, c)) for c, _ in COLUMNS] for i, name in ROWS]
    k["ratios"] = {"share": {}, "share_eager": {}, "mmap": {}, "best_peer": {}}
    for key, iface, peers, name in (
            ("share", "share", PEERS, "vidshare SHARE ratio to best peer"),
            ("share_eager", "share", EAGER, "vidshare SHARE ratio to best eager peer"),
            ("mmap", "mmap", PEERS, "vidshare mmap ratio to best peer")):
        row = [name]
        for c, _ in COLUMNS:
            best, peer = best_peer(k, c, peers)
            v = median(k, iface, c)
            r = v / best if v is not None and best else None
            k["ratios"][key][c] = r
            if peers is PEERS:
                k["ratios"]["best_peer"][c] = peer
            row.append(fmt(r, ratio=True))
        rows.append(row)
    out.append(table(rows, ["interface"] + [h for _, h in COLUMNS]))
    out.append("  best peer: " + ", ".join(f"{h} {k['ratios']['best_peer'][c] or '-'}"
                                          for c, h in COLUMNS))
    place = []
    for iface, _ in ROWS:
        cells = k["interfaces"].get(iface, {}).get("cells", {})
        kp, hint = cells.get("16M", {}), cells.get("16M_hint", {})
        if "runs_at_2m_boundary" in kp and "runs_at_hint" in hint:
            place.append(f"{SHORT[iface]} {kp['runs_at_2m_boundary']}/{hint['runs_at_hint']}")
    if place:
        out.append(f"  16 MiB runs (of {runs}) kernel-placed at a 2 MiB boundary / at the hint: "
                   + ", ".join(place))

    out.append("")
    pages = next((k["interfaces"][i]["scaling"].get("frame_buffer_pages") for i in SCALED
                  if "scaling" in k["interfaces"].get(i, {})), "the frame buffer's pages")
    out.append(f"{k['label']}: one 4 KiB map + store + unmap with N other 4 KiB mappings live, "
               f"µs (same: all of page 0; distinct: mapping i at page i mod {pages})")
    head = ["N"]
    for iface in SCALED:
        head += [f"{SHORT[iface]} same", f"{SHORT[iface]} distinct"]
    rows = [[n] + [fmt(scaled(k, i, m, n)) for i in SCALED for m in ("same", "distinct")]
            for n in SCALE_N]
    row = ["10000 / 0"]
    k["scaling_ratio_10000_to_0"] = {}
    for i in SCALED:
        for m in ("same", "distinct"):
            a, b = scaled(k, i, m, "10000"), scaled(k, i, m, "0")
            r = a / b if a is not None and b else None
            k["scaling_ratio_10000_to_0"][f"{i}/{m}"] = r
            row.append(fmt(r, ratio=True))
    rows.append(row)
    out.append(table(rows, head))

    parts = []
    for iface, _ in ROWS:
        pt = k["interfaces"].get(iface, {}).get("page_tables", {})
        if "VmPTE" in pt:
            parts.append(f"{SHORT[iface]} {pt['VmPTE']['delta_kib']}/{pt['PageTables']['delta_kib']}"
                         f" ({pt['VmPTE']['delta_pages']}/{pt['PageTables']['delta_pages']})")
        else:
            parts.append(f"{SHORT[iface]} -")
    out.append("")
    out.append(f"{k['label']}: page tables of one 16 MiB kernel-placed mapping, all touched, "
               "KiB (pages), VmPTE/PageTables delta:")
    out.append("  " + ", ".join(parts))
    for p in k["problems"]:
        out.append(f"  problem: {p}")
    return "\n".join(out)


def plot(kernels, outdir):
    """bench.png: per kernel, the mapping table as grouped bars (log axis)
    and the scaling as lines. Returns the PNG's path or None."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot or not kernels:
        return None
    data = os.path.join(outdir, "plot")
    os.makedirs(data, exist_ok=True)
    script = ["set terminal pngcairo size 1600,%d font ',10'" % (520 * len(kernels)),
              f"set output '{os.path.join(outdir, 'bench.png')}'",
              f"set multiplot layout {len(kernels)},2",
              "set key outside right top vertical font ',9'", "set grid ytics",
              "set datafile missing '-'"]
    for k in kernels:
        mp = os.path.join(data, f"map-{k['label']}.dat")
        with open(mp, "w") as f:
            f.write("cell " + " ".join(f'"{n}"' for _, n in ROWS) + "\n")
            for c, h in COLUMNS:
                vals = [median(k, i, c) for i, _ in ROWS]
                f.write(f'"{h}" ' + " ".join("-" if v is None else f"{v:.3f}" for v in vals) + "\n")
        sp = os.path.join(data, f"scale-{k['label']}.dat")
        with open(sp, "w") as f:
            for n in SCALE_N:
                vals = [scaled(k, i, m, n) for i in SCALED for m in ("same", "distinct")]
                f.write(f"{max(int(n), 1)} " + " ".join("-" if v is None else f"{v:.3f}"
                                                         for v in vals) + "\n")
        script += [
            f"set title '{k['release']}: map + store a page + unmap, median µs'",
            "set style data histograms", "set style histogram clustered gap 1",
            "set style fill solid 0.8 border -1", "set logscale y", "set xtics rotate by -15",
            "set ylabel 'µs (log)'", "unset logscale x", "set xlabel ''", "set yrange [1:*]",
            f"plot for [i=2:{len(ROWS) + 1}] '{mp}' using i:xtic(1) title columnheader(i)",
            "set style data linespoints", "set logscale xy", "set xtics norotate",
            "set autoscale y",
            "set xlabel 'N other live 4 KiB mappings (0 drawn at 1)'",
            f"set title '{k['release']}: 4 KiB map + store + unmap, N others live, median µs'",
            "plot " + ", ".join(
                f"'{sp}' using 1:{2 + 2 * j + d} title '{dict(ROWS)[i]} {m}' "
                f"lc {j + 1} dt {d + 1} pt {2 * j + d + 1}"
                for j, i in enumerate(SCALED) for d, m in enumerate(("same", "distinct"))),
        ]
    script.append("unset multiplot")
    gp = os.path.join(data, "bench.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    proc = subprocess.run([gnuplot, gp], capture_output=True, text=True)
    if proc.returncode:
        print(f"bench-report: gnuplot failed: {proc.stderr.strip()[-400:]}", file=sys.stderr)
        return None
    return os.path.join(outdir, "bench.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--wall", type=int, default=0, help="seconds make bench took until now")
    ap.add_argument("--kernel", nargs=3, action="append", default=[],
                    metavar=("LABEL", "RELEASE", "KDIR"))
    args = ap.parse_args()
    kernels = [load_kernel(*k) for k in args.kernel]
    for k in kernels:
        print()
        print(report(k, args.runs))
    png = plot(kernels, args.out)
    results = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "runs": args.runs, "wall_seconds_before_report": args.wall,
               "units": "µs of guest time under QEMU TCG -icount shift=0 (1 ns a guest instruction)",
               "columns": dict(COLUMNS), "rows": dict(ROWS), "peers": PEERS,
               "kernels": kernels}
    path = os.path.join(args.out, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    print()
    print(f"everything: {path}" + (f"; plot: {png}" if png else "; no plot (gnuplot failed)"))
    if args.wall:
        print(f"wall time: {args.wall // 60} min {args.wall % 60} s")
    missing = [k["label"] for k in kernels if not k["interfaces"]]
    return 1 if missing or not kernels else 0


if __name__ == "__main__":
    sys.exit(main())
