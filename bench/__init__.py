"""Benchmarks of vaultsync on generated vaults (scripts, not unit tests): `python -m bench.bench_stamp`."""
