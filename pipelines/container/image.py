"""The prebuilt SageMaker images the Processing jobs run in, and the Python and platform they have.

SageMaker's scikit-learn image is open to every account and every region the SDK lists; its ``1.4-2-py312``
version has Python 3.12 on Ubuntu 24.04, x86_64 (its Dockerfile: aws/sagemaker-scikit-learn-container,
``docker/1.4-2-py312/base/Dockerfile.cpu``). Our code and its dependencies are installed into it from the
wheelhouse (``wheelhouse``), which must be built for exactly this Python and platform. The URI for a region
comes from the SageMaker SDK (``pipelines.deploy.image_uris``), like the Model Monitor and Clarify images.
Standard library only: the container's bootstrap imports this before anything is installed.
"""

from __future__ import annotations

FRAMEWORK = "sklearn"
VERSION = "1.4-2-py312"
# The SDK's image tables name the processing images under the training scope.
IMAGE_SCOPE = "training"
PYTHON_VERSION = "3.12"
# glibc 2.39 (Ubuntu 24.04) runs wheels of these manylinux tags; pip needs each one named.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")

# The spark engine's image (``MonitoringEngine: spark``): SageMaker's Spark processing image, Spark 3.5 with
# Python 3.12 on Amazon Linux 2023 (glibc 2.34: it runs the same manylinux wheels), x86_64; its Dockerfile:
# aws/sagemaker-spark-container, ``spark/processing/3.5/py3/docker/py312/Dockerfile.cpu``. Its entry point,
# ``smspark-submit``, starts YARN on every instance of the job and runs ``spark-submit`` on the first.
SPARK_FRAMEWORK = "spark"
SPARK_VERSION = "3.5"
SPARK_IMAGE_SCOPE = "processing"
SPARK_PY_VERSION = "py312"
