"""The project's code as the Processing job's ``code`` input: the source files, laid out to be importable.

SageMaker copies an S3 prefix into the container (``ProcessingInputs``, ``S3Prefix``), keeping the keys'
layout; with the prefix as ``PYTHONPATH`` the job imports ``pipelines`` and ``transaction_scoring`` (the
endpoint contract the monitors share with the scoring Lambda) from it. The sandbox is not part of it: the job
never needs it. The bundle is content-addressed (the digest of every file's path and bytes), so a deployment
uploads it once and every stage of that build runs the same code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import transaction_scoring

import pipelines

# Where each package is (the repository in development, site-packages in CodeBuild), and its bundle folder.
PACKAGES = (
    (Path(pipelines.__file__).resolve().parent, PurePosixPath("pipelines")),
    (Path(transaction_scoring.__file__).resolve().parent, PurePosixPath("transaction_scoring")),
)
EXCLUDED = (PurePosixPath("pipelines/sandbox"),)


@dataclass(frozen=True, slots=True)
class BundleFile:
    key: PurePosixPath  # relative to the bundle's prefix
    path: Path


def bundle_files() -> list[BundleFile]:
    """Every source file of the bundle, sorted by key."""
    files = []
    for source, target in PACKAGES:
        for path in sorted(source.rglob("*.py")):
            key = target / PurePosixPath(path.relative_to(source).as_posix())
            if "__pycache__" in key.parts or any(key.is_relative_to(excluded) for excluded in EXCLUDED):
                continue
            files.append(BundleFile(key, path))
    return sorted(files, key=lambda f: f.key)


def bundle_digest(files: list[BundleFile], length: int = 16) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.key).encode() + b"\0" + file.path.read_bytes() + b"\0")
    return digest.hexdigest()[:length]


def iter_contents(files: list[BundleFile]) -> Iterator[tuple[str, bytes]]:
    for file in files:
        yield str(file.key), file.path.read_bytes()
