"""For each (specifier set, version) pair, whether packaging (the reference PEP 440
implementation) says the version matches, pre-releases included.

Input (stdin, JSON): [[spec, version], ...]; output: [bool, ...].
"""

import json
import sys

from packaging.specifiers import SpecifierSet
from packaging.version import Version

pairs = json.load(sys.stdin)
json.dump([SpecifierSet(s).contains(Version(v), prereleases=True) for s, v in pairs], sys.stdout)
