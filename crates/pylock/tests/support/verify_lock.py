"""Check that a pylock.toml installs correctly in every environment it claims, the way an
installer sees it (the core of a future `pylock verify`).

For each environment: if the lock's requires-python / environments admit it, `Pylock.select()`
(packaging >= 26, the reference PEP 751 reader) picks the packages and files; then
  * every root requirement that applies there is selected at a satisfying version;
  * every dependency of a selected package (from the core metadata next to the selected file,
    markers evaluated there, with the extras requested of it) is selected at a satisfying version;
  * select() found a file that fits that Python and platform for every package.

Overrides replace every requirement on their package; constraints must hold for selected
packages.

Multi-use locks (PEP 751 `extras` / `dependency-groups`): a job may list `selections`; each is
checked in every environment, `select()` called with its extras and groups (`groups` null: not
passed, so the lock's `default-groups` apply), its `requirements` added to the job's roots, and
  * nothing is selected beyond the dependency closure of the roots (the markers are exact);
  * an `impossible` selection (items that cannot be installed together) is refused by
    `select()` (two entries of one package selected), never a silently broken set.

Input (stdin, JSON): {"jobs": [{"lock": path, "requirements": [PEP 508...],
    "constraints": [...], "overrides": [...],
    "environments": [{"name": str, "environment": {...}, "python": [3, 12], "platforms": [...]}],
    "metadata": {filename: [PEP 508...]} (optional: the Requires-Dist of files that are not on
    disk next to the lock, such as an in-memory index's),
    "selections": [{"name": str, "extras": [...], "groups": [...] | null,
                    "requirements": [PEP 508...], "impossible": bool}]   (optional)}]}
Output (stdout, JSON): [{"lock": path, "checked": n, "skipped": n, "problems": [str...]}]
(`checked` counts environment x selection pairs when selections are given.)
"""

import json
import os
import sys
import tomllib

from packaging.markers import Marker
from packaging.pylock import PackageDirectory, Pylock, PylockSelectError
from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name
from packaging.version import Version


def read_requires_dist(path: str) -> list[Requirement]:
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line in ("\n", "\r\n"):
                break
            if line.lower().startswith("requires-dist:"):
                out.append(Requirement(line.split(":", 1)[1].strip()))
    return out


def directory_metadata(path: str) -> tuple[str, list[Requirement]]:
    """A local project's version and dependencies (extras as markers), from its static
    pyproject.toml: a `directory` entry has no version or core metadata beside it."""
    with open(os.path.join(path, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    reqs = [Requirement(r) for r in project.get("dependencies", [])]
    for extra, items in project.get("optional-dependencies", {}).items():
        for r in items:
            req = Requirement(r)
            guard = f'extra == "{extra}"'
            req.marker = Marker(f"({req.marker}) and {guard}" if req.marker else guard)
            reqs.append(req)
    return project["version"], reqs


def applies(marker: Marker | None, env: dict, extras: set[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({**env, "extra": e}) for e in ({""} | extras))


def check_env(lock: Pylock, lock_dir: str, roots: list[Requirement], env: dict, tags,
              constraints: list[Requirement], overrides: list[Requirement],
              metadata: dict[str, list[str]], selection: dict | None = None) -> list[str]:
    problems = []
    chosen_from = {}
    if selection is not None:
        chosen_from = {"extras": selection.get("extras", [])}
        if selection.get("groups") is not None:
            chosen_from["dependency_groups"] = selection["groups"]
    try:
        chosen = {canonicalize_name(p.name): (p, d)
                  for p, d in lock.select(environment=env, tags=tags, **chosen_from)}
    except PylockSelectError as e:
        if selection is not None and selection.get("impossible") and "Multiple packages" in str(e):
            return []
        return [f"select() fails: {e}"]
    if selection is not None and selection.get("impossible"):
        return [f"the impossible selection {selection['name']} is not refused: select() gives "
                + ", ".join(f"{n}=={p.version}" for n, (p, _) in sorted(chosen.items()))]
    overridden = {canonicalize_name(o.name) for o in overrides}

    def effective(reqs):
        out = []
        for r in reqs:
            if canonicalize_name(r.name) in overridden:
                out.extend(o for o in overrides if canonicalize_name(o.name) == canonicalize_name(r.name))
            else:
                out.append(r)
        return out

    for c in constraints:
        name = canonicalize_name(c.name)
        if name in chosen and applies(c.marker, env, set()):
            version = Version(str(chosen[name][0].version))
            if not c.specifier.contains(version, prereleases=True):
                problems.append(f"constraint {c} does not hold: {name}=={version} is selected")
    extras_of: dict[str, set[str]] = {}
    queue = [(None, r) for r in effective(roots) if applies(r.marker, env, set())]
    while queue:
        parent, req = queue.pop()
        name = canonicalize_name(req.name)
        where = f"{parent} needs {req}" if parent else f"root requirement {req}"
        if name not in chosen:
            problems.append(f"{where}, but {name} is not selected")
            continue
        package, dist = chosen[name]
        if isinstance(dist, PackageDirectory):
            version, requires = directory_metadata(os.path.join(lock_dir, dist.path))
        else:
            version, requires = str(package.version), None
        if not req.specifier.contains(Version(version), prereleases=True):
            problems.append(f"{where}, but {name}=={version} is selected")
        new = set(req.extras) - extras_of.get(name, set())
        if name in extras_of and not new:
            continue
        extras_of.setdefault(name, set()).update(req.extras)
        if requires is None:
            location = dist.path or (dist.url or "")
            if location.startswith("file://"):
                location = location[len("file://"):]
            filename = location.rsplit("/", 1)[-1]
            if filename in metadata:
                requires = [Requirement(r) for r in metadata[filename]]
            else:
                requires = read_requires_dist(os.path.join(lock_dir, location) + ".metadata")
        for dep in requires:
            if not applies(dep.marker, env, extras_of[name]):
                continue
            for eff in effective([dep]):
                if eff is dep or applies(eff.marker, env, set()):
                    queue.append((f"{name}=={package.version}", eff))
    if selection is not None:
        for name in sorted(set(chosen) - set(extras_of)):
            problems.append(f"{name} is selected but nothing of the selection needs it")
    return problems


def main() -> None:
    data = json.load(sys.stdin)
    results = []
    for job in data["jobs"]:
        path = job["lock"]
        with open(path, "rb") as f:
            lock = Pylock.from_dict(tomllib.load(f))
        roots = [Requirement(r) for r in job["requirements"]]
        constraints = [Requirement(r) for r in job.get("constraints", [])]
        overrides = [Requirement(r) for r in job.get("overrides", [])]
        result = {"lock": path, "checked": 0, "skipped": 0, "problems": []}
        for e in job["environments"]:
            env = e["environment"]
            python = tuple(e["python"])
            if lock.requires_python and not lock.requires_python.contains(env["python_full_version"]):
                result["skipped"] += 1
                continue
            if lock.environments and not any(m.evaluate(env) for m in lock.environments):
                result["skipped"] += 1
                continue
            tags = list(cpython_tags(python_version=python, platforms=e["platforms"])) + list(
                compatible_tags(python_version=python, platforms=e["platforms"])
            )
            for selection in job.get("selections") or [None]:
                result["checked"] += 1
                extra_roots = [Requirement(r) for r in (selection or {}).get("requirements", [])]
                where = e["name"] if selection is None else f"{e['name']}, {selection['name']}"
                for p in check_env(lock, os.path.dirname(path), roots + extra_roots, env, tags,
                                   constraints, overrides, job.get("metadata", {}), selection):
                    result["problems"].append(f"{where}: {p}")
        results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
