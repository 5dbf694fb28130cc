"""``model.tar.gz`` as SageMaker stores a model artifact: a gzipped tar of the model's files.

SageMaker unpacks ``ModelDataUrl`` into ``/opt/ml/model`` of the serving container
(https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html#your-algorithms-inference-code-load-artifacts).
Ours holds ``xgboost-model.json`` (the booster, in xgboost's JSON format, which keeps categorical splits and
feature names) and ``feature-spec.json`` (how raw records become the booster's input). The archive is
reproducible: fixed timestamps and owners, so the same model always gives the same bytes (and digest).
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping

from pipelines.errors import UserError

BOOSTER_FILE = "xgboost-model.json"
FEATURE_SPEC_FILE = "feature-spec.json"
ARTIFACT_FILE = "model.tar.gz"


class ModelArtifactError(UserError):
    """A model artifact that cannot be read: not a tar.gz, or a file missing from it."""


def pack(members: Mapping[str, bytes]) -> bytes:
    """A reproducible ``.tar.gz`` holding ``members`` (name -> content), in name order."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            info.mode = 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(members[name]))
    return gzip.compress(tar_bytes.getvalue(), mtime=0)


def unpack(data: bytes, required: tuple[str, ...], *, where: str) -> dict[str, bytes]:
    """The regular files of a ``.tar.gz``; every name in ``required`` must be among them."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {
                member.name.removeprefix("./"): archive.extractfile(member).read()  # type: ignore[union-attr]
                for member in archive.getmembers()
                if member.isfile()
            }
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ModelArtifactError(f"{where}: not a model.tar.gz archive ({exc})") from None
    missing = [name for name in required if name not in members]
    if missing:
        raise ModelArtifactError(
            f"{where}: has no {', '.join(missing)} (it holds {sorted(members) or 'nothing'}): "
            "expected an artifact written by pipelines.model"
        )
    return members
