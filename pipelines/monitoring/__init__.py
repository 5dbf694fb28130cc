"""Portable monitors: SageMaker Model Monitor's four monitors computed by our own code, in its formats."""
