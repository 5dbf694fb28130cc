"""The ``Processing`` monitoring backend at run time: what its Processing job does, how to start one.

- ``bootstrap``: the container's entry point (installs the wheelhouse, then runs ``job``), standard library;
- ``job``: one monitoring execution (``python -m pipelines.monitoring run`` for the window of the scheduled
  time, then CloudWatch metrics and the exit message the state machine reads);
- ``metrics``: Model Monitor's CloudWatch metric names and dimensions, from the result files;
- ``wheelhouse`` and ``code_bundle``: what the job installs and runs, built by CodeBuild;
- ``executions`` and ``__main__``: run now and backfill (``python -m pipelines.processing``).

The deploy side (rules for a stage, the parameters it computes) is ``pipelines.deploy.processing``; the
resources are in ``model-monitor-template.yml``; docs/backends.md compares the backends.
"""
