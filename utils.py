"""Where the seed's ``utils.py`` helpers live now: this module re-exports them under their new names.

The SageMaker project template's model-monitor seed code kept its helpers in one ``utils.py``; here each one
lives in the module named for what it does, with typed arguments and errors that name the bad value
(``pipelines.errors.UserError``). The signatures differ from the seed's, so the seed's names are not kept
as aliases: look a seed helper up in the table, then import it from here or from its home.

| seed helper                          | now                                                                 |
|--------------------------------------|---------------------------------------------------------------------|
| get_baselines_and_model_name         | pipelines.deploy.registry.resolve_stage_package (per stage)         |
|                                      | + pipelines.deploy.baselines.resolve_baselines                      |
| process_bias_baselines               | pipelines.deploy.clarify.merge_bias_constraints                     |
|                                      | + pipelines.deploy.clarify.bias_monitoring_config                   |
| process_explainability_config_file   | pipelines.deploy.clarify.explainability_monitoring_config           |
| get_built_in_model_monitor_image_uri | pipelines.deploy.image_uris.monitor_images                          |
| extend_config                        | pipelines.deploy.flow.plan_stage                                    |
| get_project_tags                     | pipelines.deploy.flow.stack_tags_from_project                       |
| combine_resource_tags                | pipelines.deploy.flow.stage_tags                                    |
| read_config_from_json                | pipelines.deploy.stage_config.read_stage_config                     |
| write_config_to_json                 | pipelines.deploy.export.write_export                                |
| get_json_file_from_s3                | pipelines.storage.Storage.read_json (S3 or a local path)            |
| upload_json_to_s3                    | pipelines.storage.Storage.write_json                                |
| get_bucket_name_and_file_key         | pipelines.s3uri.S3Uri.parse                                         |
| exception_handler                    | gone: user errors are pipelines.errors.UserError subclasses         |
| (get_baselines_and_configs.py main)  | pipelines.deploy.flow.deploy                                        |

``tests/shared/test_utils_reexports.py`` checks that every path in this table exists and that every
function it names is re-exported here as itself.
"""

from pipelines.deploy.baselines import resolve_baselines
from pipelines.deploy.clarify import (
    bias_monitoring_config,
    explainability_monitoring_config,
    merge_bias_constraints,
)
from pipelines.deploy.export import write_export
from pipelines.deploy.flow import deploy, plan_stage, stack_tags_from_project, stage_tags
from pipelines.deploy.image_uris import monitor_images
from pipelines.deploy.registry import resolve_stage_package
from pipelines.deploy.stage_config import read_stage_config
from pipelines.errors import UserError
from pipelines.s3uri import S3Uri
from pipelines.storage import Storage

__all__ = [
    "S3Uri",
    "Storage",
    "UserError",
    "bias_monitoring_config",
    "deploy",
    "explainability_monitoring_config",
    "merge_bias_constraints",
    "monitor_images",
    "plan_stage",
    "read_stage_config",
    "resolve_baselines",
    "resolve_stage_package",
    "stack_tags_from_project",
    "stage_tags",
    "write_export",
]
