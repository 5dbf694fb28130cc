"""Where the seed's ``utils.py`` helpers live now (this module only re-exports them; no logic here).

| seed helper                          | now                                                        |
|--------------------------------------|------------------------------------------------------------|
| get_baselines_and_model_name         | pipelines.deploy.registry.resolve_stage_package (per stage)|
|                                      | + pipelines.deploy.baselines.resolve_baselines             |
| process_bias_baselines               | pipelines.deploy.clarify.merge_bias_constraints            |
|                                      | + pipelines.deploy.clarify.bias_monitoring_config          |
| process_explainability_config_file   | pipelines.deploy.clarify.explainability_monitoring_config  |
| get_built_in_model_monitor_image_uri | pipelines.deploy.image_uris.monitor_images                 |
| extend_config                        | pipelines.deploy.flow.plan_stage                           |
| read_config_from_json                | pipelines.deploy.stage_config.read_stage_config            |
| write_config_to_json                 | pipelines.deploy.export.write_export                       |
| get_project_tags / combine_resource_tags | inside pipelines.deploy.flow (project tags)            |
| exception_handler                    | gone: user errors are pipelines.errors.UserError subclasses |
"""

from pipelines.deploy.baselines import resolve_baselines
from pipelines.deploy.clarify import (
    bias_monitoring_config,
    explainability_monitoring_config,
    merge_bias_constraints,
)
from pipelines.deploy.export import write_export
from pipelines.deploy.flow import deploy, plan_stage
from pipelines.deploy.image_uris import monitor_images
from pipelines.deploy.registry import resolve_stage_package
from pipelines.deploy.stage_config import read_stage_config

__all__ = [
    "bias_monitoring_config",
    "deploy",
    "explainability_monitoring_config",
    "merge_bias_constraints",
    "monitor_images",
    "plan_stage",
    "read_stage_config",
    "resolve_baselines",
    "resolve_stage_package",
    "write_export",
]
