"""The sandbox's fraud model: feature engineering, xgboost training, scoring, SHAP and the SageMaker artifact.

```python
from pipelines.model import FraudModel, train_fraud_model
model = train_fraud_model(frame)                 # raw transaction columns + "Is Fraudulent"
model.predict(records)                           # [Prediction(label, probability_pct)], the endpoint contract
model.contributions(records)                     # exact tree SHAP per raw column
model.save("s3://bucket/models/v1/model.tar.gz", s3)
```
"""

from pipelines.model.artifact import ModelArtifactError
from pipelines.model.features import FeatureInputError, FeatureKind, FeatureSpec, encode, fraud_feature_spec
from pipelines.model.fraud_model import FraudModel
from pipelines.model.training import TrainingDataError, TrainingSettings, train_fraud_model

__all__ = [
    "FeatureInputError",
    "FeatureKind",
    "FeatureSpec",
    "FraudModel",
    "ModelArtifactError",
    "TrainingDataError",
    "TrainingSettings",
    "encode",
    "fraud_feature_spec",
    "train_fraud_model",
]
