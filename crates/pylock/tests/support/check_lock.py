"""Load pylock.toml files with packaging.pylock (the reference PEP 751 reader) and select
what an installer would install for one environment.

Input (stdin, JSON): [{"lock": path, "environment": {...marker values...},
                       "python": [3, 12], "platforms": [platform tags...]}]
Output (stdout, JSON): [{"lock": path, "selected": [[name, version, filename], ...]}
                        or {"lock": path, "error": "..."}]
"""

import json
import sys
import tomllib

from packaging.pylock import Pylock
from packaging.tags import compatible_tags, cpython_tags


def main() -> None:
    results = []
    for job in json.load(sys.stdin):
        try:
            with open(job["lock"], "rb") as f:
                lock = Pylock.from_dict(tomllib.load(f))
            python = tuple(job["python"])
            platforms = job["platforms"]
            tags = list(cpython_tags(python_version=python, platforms=platforms)) + list(
                compatible_tags(python_version=python, platforms=platforms)
            )
            selected = []
            for package, dist in lock.select(environment=job["environment"], tags=tags):
                filename = getattr(dist, "filename", None)
                selected.append([str(package.name), str(package.version), filename])
            results.append({"lock": job["lock"], "selected": sorted(selected)})
        except Exception as e:  # noqa: BLE001 - reported back to the Rust test
            results.append({"lock": job["lock"], "error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
