#!/usr/bin/env python3
"""Write the seed corpus fuzz/corpus/<target>/ from fixtures/ and small generated inputs.

    python3 fuzz/make_seeds.py

Deterministic (fixed archive timestamps), standard library only. Seeds are kept small (afl-fuzz
mutates small inputs best): metadata files are cut after their headers, pages are the small
ones. Run it again after changing it and commit the result.
"""

import gzip
import io
import shutil
import tarfile
import warnings
import zipfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
FIXTURES = FUZZ.parent / "fixtures"
CORPUS = FUZZ / "corpus"


def fixture(glob):
    """The first fixture file (in sorted order) matching `glob`."""
    matches = sorted(FIXTURES.glob(glob))
    if not matches:
        raise SystemExit(f"no fixture matches {glob}")
    return matches[0]


def headers_only(data):
    """Core metadata cut at the blank line that ends its headers."""
    end = data.find(b"\n\n")
    return data if end < 0 else data[: end + 1]


def write(target, name, data):
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


PEP508 = {
    "plain": "requests",
    "specifiers": "numpy>=1.21,<2,!=1.22.*",
    "extras-marker": 'requests[socks,security] ~= 2.31.0; python_version >= "3.8" and extra == "http"',
    "local": "torch==2.4.0+cpu",
    "arbitrary": "a===1.0-custom",
    "prerelease": "b<=2.0.post1.dev3,>=1.0rc1",
    "platform": "c ; sys_platform == 'win32' and platform_system == 'Linux' or os_name != 'nt'",
    "in-marker": "d; platform_machine in 'x86_64 aarch64' and '3.8' <= python_full_version",
    "implementation": "e (>=1.0) ; implementation_name == \"cpython\" and platform_python_implementation != 'PyPy'",
    "url": "f @ https://example.org/f-1.0-py3-none-any.whl",
    "lenient": "pytz (>dev)",
    "lenient-comma": "g>=1.0,",
    "nested-marker": "h; (python_version < '3.9' or (python_version >= '3.11' and sys_platform == 'darwin')) and extra != 'x'",
    "extra-only": "i[dev, test]",
}

REQUIREMENTS = {
    "comments": "# a comment\nrequests>=2  # trailing\n\n  numpy \\\n    >=1.21\n",
    "nested": "-r r1.txt\n-c r2.txt\nflask\n\0django>=4 ; python_version >= '3.10'\n--requirement=r3.txt\n\0django<5\n\0click\n",
    "long-options": "--constraint r1.txt\nattrs\n\0attrs<24\n",
    "unsupported": "--index-url https://example.org/simple\nrequests\n",
    "cycle": "-r r1.txt\n\0-r r0.txt\n",
    "crlf": "six\r\nurllib3 >= 1.26 ; python_version < '3.12'\r\n",
}

PYPROJECT = {
    "basic": """[project]
name = "app"
version = "1.0"
requires-python = ">=3.10"
dependencies = [
  "a>=1",
  "b[x]; python_version < '3.12'",
]
""",
    "full": """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "app"
dynamic = ["version"]
requires-python = ">=3.8,<4"
dependencies = ['requests ~= 2.31', "numpy>=1.21; sys_platform != 'win32'"]

[project.optional-dependencies]
dev = ["pytest"]

[tool.pylock]
x = { y = 1, z = [1.5, true, 1979-05-27T07:32:00Z] }
""",
    "no-project": '[tool.other]\nkey = "value"\n',
    "inline": 'project = { dependencies = ["six"], requires-python = ">=3" }\n',
}


def wheel(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, text in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, text)
    return buf.getvalue()


def sdist(members):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, text in members:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1704067200
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


METADATA_21 = """Metadata-Version: 2.1
Name: pkg
Version: 1.0
Requires-Python: >=3.8
Provides-Extra: socks
Requires-Dist: six>=1.0
Requires-Dist: pysocks (>=1.5) ; extra == 'socks'
Requires-Dist: importlib-metadata; python_version < "3.10"

Long description.
"""


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)

    for name, text in PEP508.items():
        write("pep508", name, text)

    for name, text in REQUIREMENTS.items():
        write("requirements_txt", name, text)
    for which in ["boto", "jupyter", "large"]:
        write("requirements_txt", f"realworld-{which}", (FIXTURES / "realworld" / which / "requirements.in").read_bytes())

    for name, text in PYPROJECT.items():
        write("pyproject", name, text)

    for project, kind in [
        ("packse-uv/universal-override-with-marker/index/simple/a", "a"),
        ("realworld/boto/index/simple/idna", "idna"),
        ("realworld/boto/index/simple/python-dateutil", "python-dateutil"),
    ]:
        for ext, target in [("html", "html_page"), ("json", "json_page")]:
            page = (FIXTURES / project / f"index.{ext}").read_bytes()
            write(target, kind, kind.encode() + b"\n" + page)

    for name, glob in [
        ("requests", "realworld/*/index/files/requests-2.*-py3-none-any.whl.metadata"),
        ("aiohttp", "realworld/*/index/files/aiohttp-3.*-cp312-cp312-manylinux*x86_64*.whl.metadata"),
        ("jupyter-core", "realworld/*/index/files/jupyter_core-*-py3-none-any.whl.metadata"),
        ("sqlalchemy", "realworld/large/index/files/SQLAlchemy-1.4.54-cp310-cp310-win32.whl.metadata"),
        ("packse", "packse-uv/universal-override-with-marker/index/files/a-1.0.0-py3-none-any.whl.metadata"),
    ]:
        write("metadata", name, headers_only(fixture(glob).read_bytes()))
    write("metadata", "old-lenient", "Metadata-Version: 1.2\nName: old\nVersion: 0.9\nRequires-Python: >=2.7,\nRequires-Dist: pytz (>dev)\nRequires-Dist: x (>=1.0, <2.0,)\n")
    write("metadata", "continuation", "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nSummary: first\n  second line\nRequires-Dist: a\n  ; python_version < '3.9'\n\nbody\n")

    write("wheel", "packse", fixture("packse/*/index/files/*-py3-none-any.whl").read_bytes())
    write("wheel", "deflated", wheel([("pkg/__init__.py", ""), ("pkg-1.0.dist-info/METADATA", METADATA_21), ("pkg-1.0.dist-info/RECORD", "")]))
    write("wheel", "stored", wheel([("pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\n")], zipfile.ZIP_STORED))

    # zipdir: the zip directory reader alone (index/zipdir.rs), in the layouts it handles.
    small = [("pkg/__init__.py", ""), ("pkg-1.0.dist-info/METADATA", "Name: pkg\n")]
    write("zipdir", "deflated", wheel(small))
    write("zipdir", "stored", wheel(small, zipfile.ZIP_STORED))
    write("zipdir", "prepended", b"#!/bin/sh\nexit 0\n" + wheel(small))
    commented = io.BytesIO()
    with zipfile.ZipFile(commented, "w") as z:
        z.writestr(zipfile.ZipInfo("a-1.dist-info/METADATA", date_time=(2024, 1, 1, 0, 0, 0)), "Name: a\n")
        z.comment = b"a comment"
    write("zipdir", "comment", commented.getvalue())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the point of this seed
        write("zipdir", "duplicate", wheel([("a-1.dist-info/METADATA", "Name: first\n"), ("a-1.dist-info/METADATA", "Name: last\n")]))

    write("sdist", "packse", fixture("packse/*/index/files/*.tar.gz").read_bytes())
    write("sdist", "static", sdist([("pkg-1.0/PKG-INFO", METADATA_21.replace("2.1", "2.2", 1)), ("pkg-1.0/setup.py", "")]))
    write("sdist", "egg-info", sdist([
        ("pkg-1.0/PKG-INFO", "Metadata-Version: 1.1\nName: pkg\nVersion: 1.0\n"),
        ("pkg-1.0/src/pkg.egg-info/requires.txt", 'six>=1.0\n\n[socks]\nPySocks>=1.5\n\n[:python_version < "3.8"]\nimportlib-metadata\n\n[tests:sys_platform == "win32"]\npywin32\n'),
    ]))
    write("sdist", "dynamic", sdist([("pkg-1.0/PKG-INFO", "Metadata-Version: 2.4\nName: pkg\nVersion: 1.0\nDynamic: Requires-Dist\nRequires-Dist: a\n")]))

    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    count = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    print(f"{count} seeds, {total} bytes")


if __name__ == "__main__":
    main()
