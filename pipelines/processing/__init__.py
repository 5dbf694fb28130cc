"""The ``Processing`` monitoring backend at run time: what its Processing job does, how to start one.

- ``job``: one monitoring execution (the monitors for the window of the scheduled time, then CloudWatch
  metrics and the exit message the state machine reads); the container runs it through
  ``pipelines.container.bootstrap``;
- ``metrics``: Model Monitor's CloudWatch metric names and dimensions, from the result files;
- ``executions`` and ``__main__``: run now and backfill (``python -m pipelines.processing``).

The deploy side (rules for a stage, the parameters it computes) is ``pipelines.deploy.processing``; what the
container gets (image, wheelhouse, code, entry point) is ``pipelines.container``; the resources are in
``pipelines/processing/processing-backend.yml``; docs/backends.md compares the backends.
"""
