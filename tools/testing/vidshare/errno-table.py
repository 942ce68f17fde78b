#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keep the errno table of Documentation/vidshare/uapi.rst equal to the tests.

The table is the list of conditions that vidshare_input_test checks, printed
by "vidshare_input_test --errno-table" (request, errno and condition, tab
separated). In uapi.rst it is a reStructuredText simple table between the
comments ".. errno-table-begin" and ".. errno-table-end".

  errno-table.py --check PROGRAM DOC   exit 1 if DOC's table is not PROGRAM's
  errno-table.py --write PROGRAM DOC   put PROGRAM's table into DOC
  errno-table.py --self-check          show that --check finds every kind of drift
"""

import argparse
import difflib
import subprocess
import sys
import textwrap

BEGIN = ".. errno-table-begin"
END = ".. errno-table-end"
HEAD = ("request", "errno", "condition")
WRAP = 60


def program_rows(program):
    """The rows the test program checks: (request, errno, condition)."""
    out = subprocess.run([program, "--errno-table"], check=True, capture_output=True,
                         text=True).stdout
    rows = []
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) != 3 or not all(f.strip() for f in fields):
            raise ValueError(f"{program} --errno-table: bad line {line!r}")
        rows.append(tuple(f.strip() for f in fields))
    if not rows:
        raise ValueError(f"{program} --errno-table printed nothing")
    return rows


def render(rows):
    """The simple table for rows; long conditions go on continuation lines."""
    w0 = max(len(r[0]) for r in rows + [HEAD])
    w1 = max(len(r[1]) for r in rows + [HEAD])
    border = f"{'=' * w0}  {'=' * w1}  {'=' * WRAP}"
    lines = [border, f"{HEAD[0]:{w0}}  {HEAD[1]:{w1}}  {HEAD[2]}".rstrip(), border]
    for req, err, what in rows:
        # never break inside ``literal`` text: its spaces do not count
        chunks = what.split("``")
        keep = "``".join(c.replace(" ", "\x01") if i % 2 else c for i, c in enumerate(chunks))
        parts = [p.replace("\x01", " ") for p in
                 textwrap.wrap(keep, WRAP, break_long_words=False, break_on_hyphens=False)]
        lines.append(f"{req:{w0}}  {err:{w1}}  {parts[0]}")
        lines += [f"{'':{w0}}  {'':{w1}}  {p}" for p in parts[1:]]
    lines.append(border)
    return lines


def parse(lines):
    """Rows of a simple table as render() writes it, whatever its widths."""
    borders = [i for i, l in enumerate(lines) if l.startswith("=") and set(l) <= {"=", " "}]
    if len(borders) != 3 or borders[1] != borders[0] + 2:
        raise ValueError("the errno table is not a simple table with a header")
    cols = [i for i, c in enumerate(lines[borders[0]]) if c == "=" and
            (i == 0 or lines[borders[0]][i - 1] == " ")]
    if len(cols) != 3:
        raise ValueError("the errno table does not have three columns")
    rows = []
    for line in lines[borders[1] + 1:borders[2]]:
        if not line.strip():
            continue
        req, err = line[:cols[1]].strip(), line[cols[1]:cols[2]].strip()
        what = line[cols[2]:].strip()
        if req:
            rows.append([req, err, what])
        elif rows and not err:
            rows[-1][2] += " " + what
        else:
            raise ValueError(f"the errno table has a stray line: {line!r}")
    return [tuple(r) for r in rows]


def doc_block(text):
    """(before, table lines, after) of a document holding the table once."""
    lines = text.split("\n")
    b = [i for i, l in enumerate(lines) if l.strip() == BEGIN]
    e = [i for i, l in enumerate(lines) if l.strip() == END]
    if len(b) != 1 or len(e) != 1 or e[0] < b[0]:
        raise ValueError(f"need exactly one '{BEGIN}' and one '{END}' after it")
    block = lines[b[0] + 1:e[0]]
    while block and not block[0].strip():
        block.pop(0)
    while block and not block[-1].strip():
        block.pop()
    return lines[:b[0] + 1], block, lines[e[0]:]


def compare(want_rows, doc_text):
    """Every difference between the tests' rows and the table in the document."""
    _, block, _ = doc_block(doc_text)
    problems = []
    try:
        have_rows = parse(block)
    except ValueError as err:
        return [str(err)]
    for r in have_rows:
        if r not in want_rows:
            problems.append("in the docs, not checked by the tests: " + " | ".join(r))
    for r in want_rows:
        if r not in have_rows:
            problems.append("checked by the tests, not in the docs: " + " | ".join(r))
    if len(set(have_rows)) != len(have_rows):
        problems.append("the docs list a row twice")
    want = render(want_rows)
    if not problems and block != want:
        problems.append("the rows match but the table is laid out differently:")
        problems += [l for l in difflib.unified_diff(block, want, "docs", "tests", lineterm="")]
    return problems


def write(rows, doc_text):
    before, _, after = doc_block(doc_text)
    return "\n".join(before + [""] + render(rows) + [""] + after)


def self_check():
    """--check must notice a changed, a missing, an extra and a moved row."""
    rows = [("SHARE", "EINVAL", "``view_size`` is 0"),
            ("SHARE", "0", "a long condition " * 8 + "that wraps onto continuation lines"),
            ("mmap", "EPERM", "``PROT_EXEC``")]
    good = write(rows, f"Title\n\n{BEGIN}\n\nold\n\n{END}\n\nmore\n")
    bad = []
    if compare(rows, good):
        bad.append("a good table was refused: " + "; ".join(compare(rows, good)))
    mutants = {
        "a changed errno": good.replace("EINVAL", "EFAULT"),
        "a changed condition": good.replace("is 0", "is 1"),
        "a missing row": "\n".join(l for l in good.split("\n") if "PROT_EXEC" not in l),
        "an extra row": good.replace("mmap  ", "mmap  EPERM   ``PROT_NONE``\nmmap  ", 1),
        "a moved row": write([rows[2], rows[0], rows[1]], good),
        "no table": good.replace(BEGIN, ".. something else"),
    }
    for name, text in mutants.items():
        try:
            if not compare(rows, text):
                bad.append(f"{name} was not noticed")
        except ValueError:
            pass
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--self-check", action="store_true")
    ap.add_argument("program", nargs="?")
    ap.add_argument("doc", nargs="?")
    args = ap.parse_args()
    if args.self_check:
        bad = self_check()
        for b in bad:
            print("errno-table.py --self-check:", b)
        return 1 if bad else 0
    if not args.program or not args.doc:
        ap.error("PROGRAM and DOC are needed")
    rows = program_rows(args.program)
    text = open(args.doc).read()
    if args.write:
        new = write(rows, text)
        if new != text:
            open(args.doc, "w").write(new)
            print(f"{args.doc}: errno table updated ({len(rows)} rows)")
        return 0
    problems = compare(rows, text)
    for p in problems:
        print(f"{args.doc}: {p}")
    if problems:
        print(f"to update the docs: {sys.argv[0]} --write {args.program} {args.doc}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
