"""The sandbox's baseline factory: a model version's baselines, made by the monitors' ``make_baselines``.

What a ModelBuild pipeline's check steps would register with a package, from its labelled held-out rows and
the model, laid out as ``make_baselines`` writes them (``data-quality/``, ``model-quality/``, ``bias/``,
``explainability/``, ``drift_check_baselines.json``) and returned as ``DriftCheckBaselines`` and
``ModelMetrics``. The choices, each what ``python -m pipelines.monitoring baseline`` would be given:

- Only the model's input columns and the label are baselined (``contract.FEATURE_COLUMNS``): what the
  data-quality job sees in data capture once the record preprocessor has flattened each request; IDs and
  personal data never reach the model, so Clarify must not send them either.
- Bias facet: young customers, ``Customer Age`` 18 to 24 (``--facet-values 18,...,24``). The data treats
  customers under 25 as riskier, so the model flags them more often: the metrics measure a real difference.
  A list of values makes Clarify read the facet as categorical whatever the column's number of distinct
  values (a single ``[24]`` on a column with < 5 % distinct values would mean "age == 24"). ``Device Used``
  is the group variable of the conditional metrics.
- Data quality does not compare ``Transaction Hour``'s distribution (``--no-drift-check``): an hourly
  window holds a single hour of the day.
- Model quality: thresholds ``MODEL_QUALITY_SLACK`` below the held-out metrics (see its comment).
- Both Clarify configs carry the endpoint contract's ``predictor``; the deployment script names each stage's
  model in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transaction_scoring import contract

from pipelines.monitoring.baseline import BaselineOptions, make_baselines
from pipelines.monitoring.clarify_predictor import contract_predictor
from pipelines.sandbox.world import INSTANCE_TYPE, RegisteredBaselines

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.model import FraudModel
    from pipelines.storage import Storage

YOUNG_CUSTOMER_AGES = tuple(range(18, 25))  # the data set's youngest customers are 18
# SageMaker suggests each held-out metric itself as its threshold. An hour of the demo's traffic holds about
# 50 frauds, so recall and precision move by about 0.06 (one standard deviation) by chance alone, and an hour
# at night (more fraud, more false alarms) or by day (without the night's easy catches) differs from the
# whole-day baseline. Measured with benchmarks/model_quality_slack.py on 30 undrifted hours of 1,000
# transactions at each of 03, 10, 13, 16 and 20 h: the baseline values are violated in 25-30 hours of 30;
# 0.1 below them in 6-10 daytime hours and all 30 at 03 h; 0.15 below in 1-4 hours. Every hour of
# ``Drift.typical`` traffic still violates accuracy and the false positive rate at 0.15 (AUC in 28-30).
MODEL_QUALITY_SLACK = 0.15
BASELINE_OPTIONS = BaselineOptions(
    label=contract.LABEL_COLUMN,
    # An hourly window holds one Transaction Hour by construction: compared with the day's distribution it
    # would "drift" in every execution. Its type and completeness are still checked.
    no_drift_check=(contract.TRANSACTION_HOUR,),
    facet=contract.CUSTOMER_AGE,
    facet_values=tuple(str(age) for age in YOUNG_CUSTOMER_AGES),
    group_variable=contract.DEVICE_USED,
    model_quality_slack=MODEL_QUALITY_SLACK,
    probability_threshold=contract.PROBABILITY_THRESHOLD_PCT,
    predictor=contract_predictor(instance_type=INSTANCE_TYPE),
)


def monitoring_baselines(
    data: pd.DataFrame, model: FraudModel, output_prefix: str, storage: Storage
) -> RegisteredBaselines:
    """The four monitors' baselines for ``model`` from labelled held-out ``data``, below ``output_prefix``.

    ``data`` holds the raw transaction columns and the label; a column it lacks is reported by
    ``make_baselines`` (or by the model, for a feature column).
    """
    wanted = (*contract.FEATURE_COLUMNS, contract.LABEL_COLUMN)
    columns = [column for column in wanted if column in data.columns]
    made = make_baselines(storage, data[columns], output_prefix, BASELINE_OPTIONS, model)
    return RegisteredBaselines(
        drift_check_baselines=made.drift_check_baselines, model_metrics=made.model_metrics
    )
