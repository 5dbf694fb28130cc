"""The deployment's failure kinds: each is a ``UserError`` printed one line per problem, exit code 2."""

from __future__ import annotations

from pipelines.errors import UserError


class TemplateError(UserError):
    """The monitoring template cannot be read or has no usable ``Parameters`` section."""


class ConfigError(UserError):
    """A stage config (or the parameters computed from it) breaks the template's or SageMaker's rules."""


class RegistryError(UserError):
    """The endpoint, model or Model Registry entry a stage depends on is missing or malformed."""


class BaselineError(UserError):
    """A baseline is missing (with ``--strict``) or a baseline file does not have the expected shape."""


class AwsAccessError(UserError):
    """An AWS call was refused for a reason the user can fix (credentials, permissions)."""
