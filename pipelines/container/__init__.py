"""What the ``Processing`` backend's container gets besides the prebuilt image: built by CodeBuild, read by
the container before any dependency is installed.

- ``image``: the prebuilt image the job runs in (framework, version, Python, platform);
- ``wheelhouse``: the job's pinned dependencies as wheels for that image's Python and platform;
- ``code_bundle``: the project's source files as the job's ``code`` input;
- ``bootstrap``: the container's entry point (installs the wheelhouse, then runs
  ``pipelines.processing.job``).

Standard library only (``code_bundle`` aside, which locates the packages it bundles): ``bootstrap`` runs in
the image before the wheelhouse is installed, and ``pipelines.deploy`` imports the rest without importing the
monitors' code (the layers in ``.importlinter``).
"""
