"""The whole monitoring pipeline on one machine, with AWS emulated by moto and a local model endpoint.

Tests reuse these building blocks instead of each building its own fake world.
"""
