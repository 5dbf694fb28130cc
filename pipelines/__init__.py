"""Monitoring for the fraud-detection model: deployment, portable monitors and a local sandbox.

Subpackages:
- ``pipelines.deploy``: stage configs -> baselines from the Model Registry -> CloudFormation parameters.
- ``pipelines.monitoring``: the four Model Monitor monitors computed by our own code.
- ``pipelines.sandbox``: the whole pipeline on one machine (moto + a local endpoint).
"""

from pipelines.__version__ import __version__

__all__ = ["__version__"]
