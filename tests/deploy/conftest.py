"""Fixtures of the deployment tests: an in-process moto account, a registry world, stage configs.

Constants and helpers live in ``registry_world.py`` (a uniquely named module: every test folder has a
``conftest``, so ``from conftest import ...`` could pick another folder's).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from registry_world import PROD_CONFIG, REGION, STAGING_CONFIG, World, standard_world

from pipelines.deploy.flow import Clients


@pytest.fixture(scope="module")
def moto_account() -> Iterator[tuple[Any, Clients]]:
    """In-process moto for one test module, with clients created once (creating them is the slow part).

    Module scope keeps the mock from outliving the module, so tests elsewhere that use the moto *server*
    (``aws_emulator``) are not intercepted by it.
    """
    mock = mock_aws()
    mock.start()
    try:
        clients = Clients(
            sagemaker=boto3.client("sagemaker", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            region=REGION,
        )
        yield mock, clients
    finally:
        mock.stop()


@pytest.fixture
def aws(moto_account: tuple[Any, Clients]) -> Clients:
    """A clean in-process moto account (fast; the buildspec test uses the moto server instead)."""
    mock, clients = moto_account
    mock.reset()
    return clients


@pytest.fixture
def world(aws: Clients) -> World:
    return standard_world(aws.sagemaker, aws.s3)


@pytest.fixture
def configs(tmp_path: Path) -> dict[str, Path]:
    """Copies of the shipped stage configs, free to edit."""
    copies = {}
    for stage, source in (("staging", STAGING_CONFIG), ("prod", PROD_CONFIG)):
        copies[stage] = tmp_path / source.name
        shutil.copy(source, copies[stage])
    return copies
