"""The schema of an archive's manifest: its fields for each kind, its digest, the paths it may list.

Every archive kind (run, compare, validate, sweep, sweep-analysis, discover, optimise, calibrate)
writes ``manifest.json``; a reader trusts it only after :func:`check` passed: the manifest is a JSON
object of the right shape for its kind (types strict: ``seed`` must be a JSON integer, not text),
every path in ``files`` is relative and stays inside the archive, and ``manifest_sha256`` is the
sha256 of the canonical JSON of the manifest without that field (:func:`digest`), so an edit to any
field (``command``, ``config_source``, ``git_commit``, a file hash, ...) is caught. The digest guards
against edits and damage, not against a forger who recomputes it: it is not a signature.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from simulation.archive.files import MANIFEST
from simulation.archive.provenance import distributions_sha256

SCHEMA_VERSION = 2
DIGEST = "manifest_sha256"
KINDS = (  # "run": no ``kind``
    "run", "compare", "validate", "sweep", "sweep-analysis", "discover", "optimise", "calibrate",
)  # fmt: skip

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ManifestInvalid(ValueError):
    """A manifest that fails its schema or its digest: ``field`` and what was expected."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def _inside(rel: str) -> str:
    """A path the manifest may list: relative, POSIX, no '.', '..' or empty parts, not the manifest."""
    parts = rel.split("/")
    if (
        not rel or "\\" in rel or "\x00" in rel or PurePosixPath(rel).is_absolute()
        or any(p in ("", ".", "..") for p in parts) or rel == MANIFEST
    ):  # fmt: skip
        raise ValueError(
            "not a relative path inside the archive (allowed: e.g. 'plots/map.png', no '..', no leading '/')"
        )
    return rel


RelPath = Annotated[str, AfterValidator(_inside)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Code(_Model):
    git_commit: str | None = None
    git_dirty: bool | None = None


class Manifest(_Model):
    """What every archive's manifest holds (other fields are allowed and kept)."""

    schema_version: Literal[2]
    kind: (
        Literal["compare", "validate", "sweep", "sweep-analysis", "discover", "optimise", "calibrate"] | None
    ) = None
    created: str
    command: list[str]
    files: dict[RelPath, Sha256]
    manifest_sha256: Sha256
    run_id: str | None = None
    config_source: str | None = None
    code: Code | None = None
    packages: dict[str, str | None] | None = None
    python: str | None = None
    platform: str | None = None
    wall_time_s: float | None = None
    distributions: dict[str, str] | None = None
    distributions_sha256: Sha256 | None = None


class RunManifest(Manifest):
    kind: None = None
    seed: int
    config: dict[str, Any]


class CompareManifest(Manifest):
    kind: Literal["compare"]
    seed: int
    seeds: list[int]
    replicates: Annotated[int, Field(ge=1)]
    config: dict[str, Any]


class ValidateManifest(Manifest):
    kind: Literal["validate"]
    seed: int
    seeds: list[int]
    replicates: Annotated[int, Field(ge=1)]
    config: dict[str, Any]


class SweepParameter(_Model):
    path: str


class SweepDesign(_Model):
    kind: str
    parameters: Annotated[list[SweepParameter], Field(min_length=1)]
    metrics: list[str] | None = None


class SweepManifest(Manifest):
    kind: Literal["sweep"]
    seed: int
    sweep_hash: str
    status: Literal["running", "incomplete", "failed-runs", "complete"]
    design: SweepDesign
    counts: dict[str, int]
    sessions: list[dict[str, Any]]
    config: dict[str, Any]


class AnalysisManifest(Manifest):
    kind: Literal["sweep-analysis"]
    method: str
    metrics: list[str]


class DiscoverManifest(Manifest):
    """Scenario discovery (simulation.experiments.discover): PRIM and CART over a sweep archive."""

    kind: Literal["discover"]
    seed: int
    source: dict[str, Any]
    where: str
    options: dict[str, Any]


class OptimiseManifest(Manifest):
    """Lever optimisation (simulation.experiments.optimise): a Pareto front over levers."""

    kind: Literal["optimise"]
    seed: int
    config: dict[str, Any]
    spec: dict[str, Any]


class CalibrateManifest(Manifest):
    """Calibration (simulation.calibrate): Morris screening and an SMM fit from a start config."""

    kind: Literal["calibrate"]
    seed: int
    seeds: list[int]
    budget: Annotated[int, Field(ge=1)]
    trajectories: Annotated[int, Field(ge=1)]
    config: dict[str, Any]


MODELS: dict[str | None, type[Manifest]] = {
    None: RunManifest,
    "compare": CompareManifest,
    "validate": ValidateManifest,
    "sweep": SweepManifest,
    "sweep-analysis": AnalysisManifest,
    "discover": DiscoverManifest,
    "optimise": OptimiseManifest,
    "calibrate": CalibrateManifest,
}


# ---------------------------------------------------------------------------- digest
def canonical(manifest: dict[str, Any]) -> bytes:
    """The manifest without its digest as canonical JSON: sorted keys, no spaces, UTF-8."""
    body = {k: v for k, v in manifest.items() if k != DIGEST}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(manifest)).hexdigest()


def sealed(manifest: dict[str, Any]) -> dict[str, Any]:
    """A JSON-clean copy of ``manifest`` (values JSON cannot hold become strings) with its digest."""
    clean = json.loads(json.dumps(manifest, ensure_ascii=False, default=str))
    clean.pop(DIGEST, None)
    clean[DIGEST] = digest(clean)
    return clean


# ---------------------------------------------------------------------------- check
def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out or "(top level)"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
             float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def check(manifest: Any) -> dict[str, Any]:
    """``manifest`` (parsed JSON) if it passes its kind's schema and its digest.

    Raises:
        ManifestInvalid: naming the first field that fails and what was expected.
    """
    if not isinstance(manifest, dict):
        raise ManifestInvalid("(top level)", f"is {_json_type(manifest)} (expected: a JSON object)")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        hint = (
            " (written before manifests carried a digest: not trusted; run the archive's command "
            "again to make a current one)"
            if version == 1
            else ""
        )
        raise ManifestInvalid(
            "schema_version", f"{_short(version)} is not supported{hint} (expected: {SCHEMA_VERSION})"
        )
    kind = manifest.get("kind")
    if kind not in MODELS:
        allowed = ", ".join(KINDS[1:])
        raise ManifestInvalid("kind", f"{_short(kind)} (expected: absent for a run, or one of {allowed})")
    try:
        MODELS[kind].model_validate(manifest)
    except ValidationError as err:
        e = err.errors()[0]
        where = _field(tuple(e["loc"]))
        msg = e["msg"].replace("Input should be ", "expected ").replace("Value error, ", "")
        got = "" if e["type"] == "missing" else f", got {_json_type(e['input'])} {_short(e['input'])}"
        if e["type"] == "missing":
            msg = "missing (expected: present)"
        raise ManifestInvalid(where, f"{msg}{got}") from None
    dists = manifest.get("distributions")
    if dists is not None and manifest.get("distributions_sha256") != distributions_sha256(dists):
        raise ManifestInvalid(
            "distributions_sha256",
            "does not match the distributions listed (expected: the sha256 of their name==version lines)",
        )
    if manifest[DIGEST] != digest(manifest):
        raise ManifestInvalid(
            DIGEST,
            "does not match the manifest's contents: the manifest was edited after it was written "
            "(expected: the sha256 of the canonical manifest without this field)",
        )
    return manifest
