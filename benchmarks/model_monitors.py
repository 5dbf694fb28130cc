"""The model monitors' hot paths, each next to a straightforward alternative, on synthetic data.

Run: ``python -m benchmarks.model_monitors`` (about a minute on two cores). Not a test: it prints figures for
docs/benchmarks.md. Each case runs in a fresh process, so the peak RSS is that case's alone.

Cases (ours vs the straightforward way, same inputs, results checked equal):
- ``merge``: joining 1,000,000 captured records with 500,000 labels — polars joins vs a Python loop over the
  records with a dict of labels;
- ``auc``: ROC AUC of 1,000,000 scores — one sorted pass over distinct thresholds vs the Mann-Whitney rank
  statistic (``scipy.stats.rankdata``);
- ``cdd``: Clarify's conditional demographic disparity over 1,000,000 rows in 2,000 groups — ``np.bincount``
  vs a boolean mask per group (Clarify's own loop);
- ``kernel-shap``: 200 records x 10 features, 100 coalitions x 10 background rows — all coalitions of a
  batch of records in one model call vs one model call per record and coalition;
- ``model-quality``: the whole binary ``statistics.json`` (curves, 5x80% standard deviations) for 1,000,000
  matched records (no alternative: the figure is the throughput).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N = 1_000_000


def _timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def case_merge(ours: bool) -> dict[str, Any]:
    import polars as pl

    from pipelines.monitoring.ground_truth_merge import (
        GROUND_TRUTH_COLUMN,
        GroundTruthLabels,
        merge_ground_truth,
    )

    ids = [f"t{i}" for i in range(N)]
    records = pl.DataFrame({"__event_id": ids, "__inference_id": ids, "__record_id": ids})
    labels = GroundTruthLabels(labels={f"t{i}": str(i % 2) for i in range(0, N, 2)})
    if ours:
        (merged, _), seconds = _timed(lambda: merge_ground_truth(records, labels))
        matched = merged[GROUND_TRUTH_COLUMN].is_not_null().sum()
    else:

        def loop() -> int:
            found = [
                labels.labels.get(inference) or labels.labels.get(record)
                for inference, record in zip(records["__inference_id"], records["__record_id"], strict=True)
            ]
            return sum(label is not None for label in found)

        matched, seconds = _timed(loop)
    return {"seconds": seconds, "check": int(matched)}


def case_auc(ours: bool) -> dict[str, Any]:
    from pipelines.monitoring.model_quality import metrics as m

    rng = np.random.default_rng(0)
    actual = rng.random(N) < 0.05
    score = np.round(np.clip(actual * 20 + rng.normal(30, 15, N), 0, 100), 1)  # ties, like percent scores
    if ours:
        auc, seconds = _timed(lambda: m.area_under_roc(m.threshold_counts(score, actual)))
    else:
        from scipy.stats import rankdata

        def mann_whitney() -> float:
            ranks = rankdata(score)
            positives = int(actual.sum())
            negatives = N - positives
            return float((ranks[actual].sum() - positives * (positives + 1) / 2) / (positives * negatives))

        auc, seconds = _timed(mann_whitney)
    return {"seconds": seconds, "check": round(auc, 12)}


def case_cdd(ours: bool) -> dict[str, Any]:
    from pipelines.monitoring.bias.metrics import BiasInputs, conditional_demographic_disparity_in_labels

    rng = np.random.default_rng(1)
    facet, label = rng.random(N) < 0.3, rng.random(N) < 0.1
    group = rng.integers(0, 2000, N)  # the analysis passes group codes 0..k-1
    if ours:
        value, seconds = _timed(
            lambda: conditional_demographic_disparity_in_labels(
                BiasInputs(facet=facet, label=label, group=group)
            )
        )
    else:

        def per_group_masks() -> float:
            counts, disparities = [], []
            for g in np.unique(group):
                member = group == g
                positives, negatives = (label & member).sum(), (~label & member).sum()
                a = (label & facet & member).sum() / positives if positives else 0
                d = (~label & facet & member).sum() / negatives if negatives else 0
                counts.append(member.sum())
                disparities.append(d - a)
            return float(np.sum(np.array(counts, dtype=float) * np.array(disparities)) / np.sum(counts))

        value, seconds = _timed(per_group_masks)
    return {"seconds": seconds, "check": round(value, 12)}


def case_kernel_shap(ours: bool) -> dict[str, Any]:
    import polars as pl

    from pipelines.monitoring.explainability.kernel_shap import coalitions, kernel_shap

    rng = np.random.default_rng(2)
    features, weights = 10, rng.normal(size=10)
    instances = pl.DataFrame({f"x{j}": rng.normal(size=200) for j in range(features)})
    background = pl.DataFrame({f"x{j}": rng.normal(size=10) for j in range(features)})

    def predict(frame: pl.DataFrame) -> np.ndarray:
        x = frame.to_numpy()
        return 1 / (1 + np.exp(-(x @ weights + x[:, 0] * x[:, 1])))

    if ours:
        result, seconds = _timed(lambda: kernel_shap(instances, background, predict, num_samples=100))
        values = result.values
    else:

        def one_call_per_coalition() -> np.ndarray:
            mask, kernel = coalitions(features, 100, np.random.default_rng(0))
            b = background.to_numpy()
            expected = predict(background).mean()
            out = []
            for x in instances.to_numpy():
                v = np.array(
                    [
                        predict(
                            pl.DataFrame(np.where(z, x, b), schema=background.columns, orient="row")
                        ).mean()
                        for z in mask
                    ]
                )
                design = mask[:, :-1].astype(float) - mask[:, -1:]
                delta = predict(pl.DataFrame([x], schema=background.columns, orient="row"))[0] - expected
                target = v - expected - mask[:, -1] * delta
                root = np.sqrt(kernel)[:, None]
                phi, *_ = np.linalg.lstsq(design * root, target[:, None] * root, rcond=None)
                out.append(np.append(phi[:, 0], delta - phi.sum()))
            return np.array(out)

        values, seconds = _timed(one_call_per_coalition)
    return {"seconds": seconds, "check": round(float(np.abs(values).sum()), 4)}


def case_model_quality(ours: bool) -> dict[str, Any]:
    from pipelines.monitoring.model_quality import (
        LabelledPredictions,
        ModelQualityConfig,
        model_quality_statistics,
    )

    rng = np.random.default_rng(3)
    actual = rng.random(N) < 0.05
    probability = np.clip(actual * 40 + rng.normal(30, 15, N), 0, 100)
    data = LabelledPredictions(np.where(actual, "1", "0"), probability=probability)
    statistics, seconds = _timed(lambda: model_quality_statistics(data, ModelQualityConfig()))
    return {"seconds": seconds, "check": statistics["binary_classification_metrics"]["auc"]["value"]}


CASES: dict[str, Callable[[bool], dict[str, Any]]] = {
    "merge": case_merge,
    "auc": case_auc,
    "cdd": case_cdd,
    "kernel-shap": case_kernel_shap,
    "model-quality": case_model_quality,
}


def _run_in_child(case: str, ours: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.model_monitors",
        "--child",
        case,
        "--ours" if ours else "--alternative",
    ]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--alternative", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = CASES[args.child](args.ours)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0
    print(
        f"{'case':<14} {'ours s':>8} {'alt s':>8} {'speed-up':>9} {'ours MiB':>9} {'alt MiB':>8}  same result"
    )
    for case in CASES:
        ours = _run_in_child(case, ours=True)
        alternative = None if case == "model-quality" else _run_in_child(case, ours=False)
        if alternative is None:
            seconds, peak = ours["seconds"], ours["peak_rss_mib"]
            print(f"{case:<14} {seconds:>8.2f} {'-':>8} {'-':>9} {peak:>9.0f} {'-':>8}  -")
            continue
        print(
            f"{case:<14} {ours['seconds']:>8.2f} {alternative['seconds']:>8.2f} "
            f"{alternative['seconds'] / ours['seconds']:>8.1f}x {ours['peak_rss_mib']:>9.0f} "
            f"{alternative['peak_rss_mib']:>8.0f}  {ours['check'] == alternative['check']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
