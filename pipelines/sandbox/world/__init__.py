"""The emulated AWS world the monitoring pipeline runs against: what ModelBuild and ModelDeploy leave behind.

``build_world`` creates, through plain boto3 clients (moto in the sandbox and the tests):

- a KMS key, and three buckets encrypted with it by default: artifacts (models, baselines, training data,
  data capture), monitoring outputs (monitor results and ground truth) and transactions (the Lambda's input);
- the scoring Lambda's DynamoDB predictions table, keyed and encrypted as ``lambda/template.yml`` makes it;
- IAM roles: one the SageMaker models run as, one the monitoring jobs run as;
- two fraud models trained on different data slices, ``v1`` (older) and ``v2`` (newer), their
  ``model.tar.gz`` artifacts, their baselines (made by a ``BaselineFactory``) and their training data;
- the Model Registry: package group ``{project}-{project id}`` with both versions Approved, each with its own
  ``DriftCheckBaselines`` (and ``ModelMetrics`` when the factory gives them);
- SageMaker models, endpoint configs with ``DataCaptureConfig`` (JSON captured as text, KMS-encrypted) and
  endpoints: ``{project}-staging`` runs v2 and names its package in ``Containers[0].ModelPackageName``;
  ``{project}-prod`` runs v1 and names its package in a ``ModelPackageArn`` tag (ModelDeploy's style). The
  deployment script must handle both.

What moto does not do, and how the world copes: moto marks endpoints ``InService`` at once and runs no
container (the sandbox's ``RuntimeServer`` serves the models instead, see ``serving``); ``DescribeEndpoint``
in moto has no ``CaptureStatus``/``CurrentSamplingPercentage`` (the capture settings are read from the
endpoint config, as the monitors' preflight does); moto does not check that a model's ``ModelPackageName``
exists, so the world creates packages before the models that name them, as SageMaker requires.

Modules: ``settings`` (names and sizes), ``resources`` (the boto3 calls, one call pattern each), ``types``
(what a built world is), ``builder`` (``build_world``). Everything is importable from here.
"""

from pipelines.sandbox.world.builder import BUILD_STEPS, build_world
from pipelines.sandbox.world.resources import (
    APPROVED,
    INSTANCE_TYPE,
    VARIANT_NAME,
    RegisteredBaselines,
    create_bucket,
    create_endpoint,
    create_kms_key,
    create_model,
    create_package_group,
    create_predictions_table,
    create_role,
    data_capture_config,
    register_package,
)
from pipelines.sandbox.world.settings import (
    BucketKind,
    DeploymentNames,
    ModelVersionSpec,
    PackageReference,
    Stage,
    WorldError,
    WorldSettings,
)
from pipelines.sandbox.world.types import AwsClients, BaselineFactory, ModelVersion, StageDeployment, World

__all__ = [
    "APPROVED",
    "BUILD_STEPS",
    "INSTANCE_TYPE",
    "VARIANT_NAME",
    "AwsClients",
    "BaselineFactory",
    "BucketKind",
    "DeploymentNames",
    "ModelVersion",
    "ModelVersionSpec",
    "PackageReference",
    "RegisteredBaselines",
    "Stage",
    "StageDeployment",
    "World",
    "WorldError",
    "WorldSettings",
    "build_world",
    "create_bucket",
    "create_endpoint",
    "create_kms_key",
    "create_model",
    "create_package_group",
    "create_predictions_table",
    "create_role",
    "data_capture_config",
    "register_package",
]
