"""Helpers shared by the benchmarks: a scratch database, a gunicorn to run and kill, an HTTP client.

Kept in a sub-folder so that `make bench` (which runs every bench/*.py) does not run them.
"""
