"""Count and check the public items of rustdoc's output for the `pylock` crate.

Usage: public_api.py DOC_DIR [--quiet]. See .ci/public-api.
"""

import pathlib
import re
import sys

# The most items the API may have (a ratchet: lower it as the API shrinks). The aim is
# under 40; see the crate docs' "What is stable" for what each item is for.
LIMIT = 40


def main() -> int:
    doc = pathlib.Path(sys.argv[1])
    quiet = "--quiet" in sys.argv[2:]
    all_html = (doc / "all.html").read_text()
    items = sorted(re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', all_html))
    index = (doc / "index.html").read_text()
    reexports = sorted(set(re.findall(r'<code>pub use (.*?);</code>', index)))
    failures = []
    if len(items) >= LIMIT:
        failures.append(f"{len(items)} public items; at most {LIMIT - 1} are allowed")
    # A pubgrub type shows as a path (`pubgrub::Ranges`) or a link into pubgrub's docs.
    for page in sorted(doc.rglob("*.html")):
        if re.search(r"pubgrub::|/pubgrub/", page.read_text()):
            failures.append(f"{page.relative_to(doc)} shows a pubgrub type")
    if not quiet:
        print(f"{len(items)} items (at most {LIMIT - 1}):")
        for href, name in items:
            print(f"  {href.split('.')[0]:9} {name}")
        print(f"{len(reexports)} re-exports of other crates' items:")
        for r in reexports:
            print("  " + re.sub(r"<[^>]+>", "", r))
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
