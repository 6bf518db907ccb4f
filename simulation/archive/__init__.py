"""The storage layer every archive kind writes and reads through (run, compare, validate, sweep,
sweep-analysis, discover, optimise, calibrate), one module a concern:

- :mod:`.atomic` — a file or a whole folder appears complete or not at all; killed writers' leftovers;
- :mod:`.paths` — where an archive goes: ``--out`` checked before any work, default names;
- :mod:`.files` — the files' bytes (deterministic Parquet, config TOML) and sha256, the file list;
- :mod:`.schema` — the manifest's fields for each kind, its digest; :mod:`.provenance` — code,
  lock file, platform, package versions and every installed distribution;
- :mod:`.manifest` — build, write, read and check a manifest and the files it lists;
- :mod:`.verify` — what every kind's ``verify`` shares; :mod:`.run` — the run archive itself.

Import the module you need. The names below are handed on only for the modules being moved into
``simulation/experiments/sweep`` and ``simulation/experiments/validate``, which still say
``from simulation import archive as arc``; drop them once those import the modules above.
"""

# ruff: noqa: F401 - names handed on (see above)

from simulation.archive.atomic import staging
from simulation.archive.errors import ArchiveError
from simulation.archive.files import MANIFEST, arrow_bytes, parquet_bytes, sha256_bytes, sha256_file
from simulation.archive.manifest import (
    build_manifest,
    check_files,
    checked_manifest,
    read_manifest,
    resume_problems,
    run_id,
    write_manifest,
)
from simulation.archive.paths import check_out, resolve_out, stamped_path
from simulation.archive.provenance import REPO_ROOT, code_version, package_versions
from simulation.archive.schema import SCHEMA_VERSION
from simulation.archive.verify import VerifyReport, open_for_verify
