"""Folders the Processing backend's jobs read, uploaded once under content-addressed S3 prefixes.

Two are uploaded by ``get_baselines_and_configs.py`` (and shared by every stage of a build): the code bundle
(``pipelines.container.code_bundle``) and the wheelhouse buildspec.yml's pre_build phase downloaded
(``pipelines.container.wheelhouse``). Each prefix is named by the digest of its files, so a prefix that
exists holds exactly those files: its manifest, written last, marks a complete upload, and an upload whose
manifest exists is skipped.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from pipelines.container import code_bundle, wheelhouse
from pipelines.container.wheelhouse import WheelhouseError
from pipelines.deploy.errors import ConfigError
from pipelines.jsonio import dumps_pretty
from pipelines.s3uri import S3Uri
from pipelines.storage import Storage

log = logging.getLogger(__name__)

PROCESSING_PREFIX = "processing"
CODE_MANIFEST = "bundle.json"


@dataclass(frozen=True, slots=True)
class PrefixUpload:
    """Local files for one S3 prefix; ``manifest`` (a file name below the prefix) is written last."""

    kind: str
    prefix: str
    files: tuple[tuple[str, Path], ...]  # (key below the prefix, local file)
    manifest: str
    manifest_content: bytes

    @property
    def manifest_location(self) -> str:
        return str(S3Uri.parse(self.prefix).join(self.manifest))


def _digest(files: tuple[tuple[str, Path], ...], length: int = 16) -> str:
    digest = hashlib.sha256()
    for key, path in files:
        digest.update(key.encode() + b"\0")
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:length]


def code_upload(root: str) -> PrefixUpload:
    """The code bundle under ``{root}/processing/code-{digest}/``."""
    bundle = code_bundle.bundle_files()
    files = tuple((str(f.key), f.path) for f in bundle)
    prefix = str(S3Uri.parse(root).join(PROCESSING_PREFIX, f"code-{code_bundle.bundle_digest(bundle)}")) + "/"
    manifest = dumps_pretty({"files": [key for key, _ in files]})
    return PrefixUpload("processing code", prefix, files, CODE_MANIFEST, manifest)


def wheelhouse_upload(root: str, folder: str | Path) -> PrefixUpload:
    """The wheelhouse built in ``folder`` under ``{root}/processing/wheelhouse-{digest}/``."""
    path = Path(folder)
    if not path.is_dir():
        raise ConfigError(
            f"--processing-wheelhouse {folder}: no such folder; build it with `python -m "
            f"pipelines.container.wheelhouse --output {folder}` (buildspec.yml's pre_build phase)"
        )
    try:
        manifest = wheelhouse.read_manifest(path)
    except WheelhouseError as error:
        raise ConfigError(f"--processing-wheelhouse: {error}") from None
    wheels = manifest.get("wheels")
    if not isinstance(wheels, list):
        raise ConfigError(f"--processing-wheelhouse: {path / wheelhouse.MANIFEST_FILE} has no 'wheels' list")
    files = tuple((name, path / name) for name in sorted([wheelhouse.REQUIREMENTS_FILE, *map(str, wheels)]))
    missing = [str(file) for _, file in files if not file.is_file()]
    if missing:
        raise ConfigError(
            f"--processing-wheelhouse {folder}: {wheelhouse.MANIFEST_FILE} lists files that are not there: "
            f"{', '.join(missing)}"
        )
    prefix = str(S3Uri.parse(root).join(PROCESSING_PREFIX, f"wheelhouse-{_digest(files)}")) + "/"
    return PrefixUpload(
        "wheelhouse", prefix, files, wheelhouse.MANIFEST_FILE, (path / wheelhouse.MANIFEST_FILE).read_bytes()
    )


def upload_if_absent(storage: Storage, upload: PrefixUpload) -> bool:
    """Upload every file, then the manifest, unless the manifest is there already; True when uploaded."""
    if storage.exists(upload.manifest_location):
        log.info("%s already uploaded: %s", upload.kind, upload.prefix)
        return False
    base = S3Uri.parse(upload.prefix)
    for key, path in upload.files:
        storage.write_bytes(str(base.join(key)), path.read_bytes())
    storage.write_bytes(upload.manifest_location, upload.manifest_content, "application/json")
    log.info("uploaded %s: %d files to %s", upload.kind, len(upload.files), upload.prefix)
    return True
