"""Turning the Model Registry's Clarify baselines into what the bias and explainability monitors read.

- Bias: the check steps register pre- and post-training constraints separately; the bias drift monitor
  takes one constraints file, so the two are merged. Its analysis config is reduced to the keys the
  monitor reads (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html:
  version, headers, label, label_values_or_threshold, facet, group_variable); the rest of the check step's
  config (dataset_type, predictor, methods, ...) describes the baselining job, not the monitor.
- Explainability: Clarify computes SHAP values by calling a shadow endpoint of the model named in
  ``predictor.model_name``, which must be the model deployed on *this* stage.

Derived files go to the deployment's own monitor-outputs bucket (``--monitor-outputs-bucket``, below
``monitoring-baselines/``), never next to their sources: a package's DriftCheckBaselines may live in a bucket
the build should not write to (another team's, a model-build account's), and the monitors' role reads the
outputs bucket anyway. Names are content-addressed (``{kind}-{sha256 prefix}.json``): the same inputs always
give the same key, so a rerun overwrites nothing and is skipped; the plan prints where each file came from.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.deploy.errors import BaselineError
from pipelines.jsonio import content_digest, dumps_canonical, dumps_pretty
from pipelines.s3uri import S3Uri
from pipelines.storage import Storage

log = logging.getLogger(__name__)

BIAS_MONITOR_KEYS = ("version", "headers", "label", "label_values_or_threshold", "facet", "group_variable")
BIAS_CONSTRAINTS_KIND = "monitoring-bias-constraints"
BIAS_CONFIG_KIND = "monitoring-bias-analysis-config"
EXPLAINABILITY_CONFIG_KIND = "monitoring-explainability-analysis-config"


@dataclass(frozen=True, slots=True)
class DerivedFile:
    """A file computed from registry baselines, and where it goes."""

    kind: str
    location: str
    content: bytes
    sources: tuple[str, ...]
    content_type: str = "application/json"


def derived_file(kind: str, obj: Mapping[str, Any], folder: S3Uri, sources: tuple[str, ...]) -> DerivedFile:
    """``obj`` as a pretty JSON file in ``folder``, named by the digest of its canonical form."""
    digest = content_digest(dumps_canonical(obj))
    location = str(folder.join(f"{kind}-{digest}.json"))
    return DerivedFile(kind=kind, location=location, content=dumps_pretty(obj), sources=sources)


def _object(document: Any, source: str, what: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise BaselineError(f"{source}: the {what} is {type(document).__name__}, expected a JSON object")
    return document


def merge_bias_constraints(
    pre_training: Any | None, post_training: Any, *, pre_source: str | None, post_source: str
) -> dict[str, Any]:
    """One constraints file from Clarify's pre- and post-training constraints.

    Top-level sections are combined (``pre_training_bias_metrics`` + ``post_training_bias_metrics``); a
    section present in both must be identical, otherwise the two files disagree and we refuse to guess.
    """
    post = _object(post_training, post_source, "post-training bias constraints")
    if pre_training is None:
        return dict(post)
    pre = _object(pre_training, pre_source or "?", "pre-training bias constraints")
    conflicts = sorted(key for key in pre.keys() & post.keys() if pre[key] != post[key])
    if conflicts:
        raise BaselineError(
            f"{pre_source} and {post_source} disagree on {', '.join(conflicts)}: cannot merge them into one "
            "bias constraints file"
        )
    return {**pre, **post}


def bias_monitoring_config(config: Any, *, source: str) -> dict[str, Any]:
    """The part of a Clarify bias analysis config that the bias drift monitor reads."""
    document = _object(config, source, "bias analysis config")
    kept = {key: document[key] for key in BIAS_MONITOR_KEYS if key in document}
    absent = [key for key in ("facet", "label_values_or_threshold") if key not in kept]
    if absent:
        raise BaselineError(
            f"{source}: the bias analysis config has no {' and no '.join(absent)}: expected the "
            "analysis_config.json of a Clarify bias check (keys facet, label_values_or_threshold, ...)"
        )
    dropped = sorted(set(document) - set(kept))
    if dropped:
        log.debug("%s: not used by the bias drift monitor, left out: %s", source, ", ".join(dropped))
    return kept


def explainability_monitoring_config(config: Any, *, model_name: str, source: str) -> dict[str, Any]:
    """A Clarify explainability analysis config whose predictor is ``model_name``."""
    document = dict(_object(config, source, "explainability analysis config"))
    predictor = document.get("predictor")
    if not isinstance(predictor, dict):
        raise BaselineError(
            f"{source}: the explainability analysis config has no 'predictor' object: Clarify needs it to "
            "start a shadow endpoint of the model"
        )
    methods = document.get("methods")
    if not isinstance(methods, dict) or "shap" not in methods:
        raise BaselineError(f"{source}: the explainability analysis config has no methods.shap section")
    predictor = {key: value for key, value in predictor.items() if key != "endpoint_name"}
    predictor["model_name"] = model_name
    document["predictor"] = predictor
    return document


def write_if_absent(storage: Storage, derived: DerivedFile) -> bool:
    """Write ``derived`` unless its content-addressed key exists already; True when written."""
    if storage.exists(derived.location):
        log.info("%s already exists (same content): not written again", derived.location)
        return False
    storage.write_bytes(derived.location, derived.content, derived.content_type)
    log.info("wrote %s (from %s)", derived.location, ", ".join(derived.sources))
    return True
