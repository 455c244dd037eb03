"""``python -m shipyard.scaffold``: render this repository's deployment files from the
templates, after editing a template (run from the repository's root)."""

import sys
from pathlib import Path

from shipyard.scaffold import write_repository_files

for path in write_repository_files(Path.cwd()):
    sys.stdout.write(f"{path}\n")
