#!/usr/bin/env python3
"""commit-ids.py LIST PATCH...: every upstream commit a patch's message
cites, as 'commit ID ("TITLE")' or 'Fixes: ID ("TITLE")', must be a pair
of LIST (scripts/commit-ids: "ID<tab>TITLE" lines, # comments). Prints a
line per reference that is not, and exits 1 if there is one."""
import re
import sys


def message(path):
    """The commit message: after the mail headers, up to the '---' line"""
    lines = open(path, encoding="utf-8").read().split("\n")
    try:
        start = lines.index("") + 1
    except ValueError:
        start = 0
    body = []
    for line in lines[start:]:
        if line == "---":
            break
        body.append(line)
    return " ".join(body)


def main():
    known = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        cid, title = line.split("\t", 1)
        known[cid] = title
    bad = 0
    ref = re.compile(r'\b(?:[Cc]ommit|Fixes:)\s+([0-9a-f]{7,40})\b(\s*\("(.*?)"\))?')
    for path in sys.argv[2:]:
        text = re.sub(r"\s+", " ", message(path))
        for m in ref.finditer(text):
            cid, title = m.group(1), m.group(3)
            want = known.get(cid[:12]) if len(cid) >= 12 else None
            if want is None:
                print(f"{path}: commit {cid} is not in scripts/commit-ids "
                      "(check it against upstream, then add it there)")
                bad = 1
            elif title != want:
                print(f"{path}: commit {cid} is cited as \"{title}\"; "
                      f"upstream's title is \"{want}\"")
                bad = 1
    sys.exit(bad)


if __name__ == "__main__":
    main()
