"""The monitoring template's own ``Parameters``, and checking a set of values against them.

The template is the single definition of what a stage config may hold: its parameter names, allowed
values, patterns, lengths and number ranges. Validating against it before anything is written means a
typo fails here, with the file and key named, instead of minutes later in CloudFormation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from pipelines.deploy.errors import ConfigError, TemplateError


class ParameterType(StrEnum):
    STRING = "String"
    NUMBER = "Number"


@dataclass(frozen=True, slots=True)
class TemplateParameter:
    """One entry of the template's ``Parameters`` section (the constraints CloudFormation enforces)."""

    name: str
    type: ParameterType
    default: str | None = None
    allowed_values: tuple[str, ...] = ()
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is None

    def problems(self, value: str) -> list[str]:
        """What is wrong with ``value`` for this parameter (empty when it is acceptable).

        Each problem says what is allowed; the caller adds where the value came from.
        """
        found: list[str] = []
        if self.allowed_values and value not in self.allowed_values:
            allowed = ", ".join(repr(v) for v in self.allowed_values)
            found.append(f"{value!r} is not allowed: expected one of {allowed}")
        # CloudFormation matches AllowedPattern against the whole value.
        if self.allowed_pattern is not None and not re.fullmatch(self.allowed_pattern, value):
            found.append(f"{value!r} does not match the pattern {self.allowed_pattern}")
        if self.min_length is not None and len(value) < self.min_length:
            found.append(f"{value!r} is {len(value)} characters long: at least {self.min_length} required")
        if self.max_length is not None and len(value) > self.max_length:
            found.append(f"{value!r} is {len(value)} characters long: at most {self.max_length} allowed")
        if self.type is ParameterType.NUMBER:
            found.extend(self._number_problems(value))
        return found

    def _number_problems(self, value: str) -> list[str]:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return [f"{value!r} is not a number"]
        if not number.is_finite():
            return [f"{value!r} is not a finite number"]
        found = []
        if self.min_value is not None and number < self.min_value:
            found.append(f"{value} is below the minimum {self.min_value}")
        if self.max_value is not None and number > self.max_value:
            found.append(f"{value} is above the maximum {self.max_value}")
        return found


@dataclass(frozen=True, slots=True)
class TemplateParameters:
    """All parameters of a template, by name."""

    source: str
    parameters: Mapping[str, TemplateParameter] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def __getitem__(self, name: str) -> TemplateParameter:
        return self.parameters[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.parameters)

    def default(self, name: str) -> str | None:
        return self.parameters[name].default

    def problems(self, values: Mapping[str, str], *, where: str, complete: bool = False) -> list[str]:
        """One line per problem of ``values``: unknown keys, constraint violations, missing values.

        ``where`` names the file the values came from. With ``complete``, every parameter without a
        default must have a value (the check for a finished export).
        """
        found: list[str] = []
        for name, value in values.items():
            parameter = self.parameters.get(name)
            if parameter is None:
                found.append(f"{where}: unknown parameter {name!r}: {self._suggest(name)}")
                continue
            found.extend(f"{where}: {name}: {problem}" for problem in parameter.problems(value))
        if complete:
            for name, parameter in self.parameters.items():
                if parameter.required and name not in values:
                    found.append(f"{where}: {name} has no value and the template gives it no default")
        return found

    def _suggest(self, name: str) -> str:
        close = [known for known in self.parameters if known.lower() == name.lower()]
        if close:
            return f"did you mean {close[0]!r}?"
        return f"{self.source} defines no such parameter"


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that accepts CloudFormation's short-form tags (``!Ref``, ``!If``, ...).

    A tagged node is kept as plain data under its tag name (``!Ref X`` -> ``{"Ref": "X"}``).
    """


def _tagged(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {tag_suffix: value}


_CloudFormationLoader.add_multi_constructor("!", _tagged)


def load_template(path: str | Path) -> Any:
    """A CloudFormation template (YAML or JSON) as data; a short-form tag becomes ``{"Ref": ...}`` etc."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)
    except FileNotFoundError:
        raise TemplateError(f"{path}: no such template file (set --template-file)") from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not a valid YAML/JSON template ({exc})") from None


def load_template_parameters(path: str | Path) -> TemplateParameters:
    """Read the ``Parameters`` section of a CloudFormation template (YAML or JSON)."""
    path = Path(path)
    document = load_template(path)
    section = document.get("Parameters") if isinstance(document, dict) else None
    if not isinstance(section, dict) or not section:
        raise TemplateError(f"{path}: the template has no Parameters section")
    return TemplateParameters(
        source=str(path),
        parameters={name: _parameter(str(path), name, spec) for name, spec in section.items()},
    )


def _parameter(source: str, name: str, spec: Any) -> TemplateParameter:
    if not isinstance(spec, dict):
        raise TemplateError(f"{source}: Parameters.{name} is not a mapping")
    try:
        kind = ParameterType(spec.get("Type", ""))
    except ValueError:
        raise TemplateError(
            f"{source}: Parameters.{name}.Type is {spec.get('Type')!r}: only String and Number are supported"
        ) from None

    def text(key: str) -> str | None:
        value = spec.get(key)
        return None if value is None else str(value)

    def integer(key: str) -> int | None:
        value = spec.get(key)
        return None if value is None else int(value)

    def number(key: str) -> Decimal | None:
        value = spec.get(key)
        return None if value is None else Decimal(str(value))

    return TemplateParameter(
        name=name,
        type=kind,
        default=text("Default"),
        allowed_values=tuple(str(v) for v in spec.get("AllowedValues", ())),
        allowed_pattern=text("AllowedPattern"),
        min_length=integer("MinLength"),
        max_length=integer("MaxLength"),
        min_value=number("MinValue"),
        max_value=number("MaxValue"),
        description=str(spec.get("Description", "")).strip(),
    )


def require_valid(problems: list[str]) -> None:
    """Raise one ``ConfigError`` carrying every problem, if there are any."""
    if problems:
        raise ConfigError(problems)
