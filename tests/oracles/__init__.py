"""Reference implementations the engine is checked against, sharing nothing with it but the
policy numbers: a naive per-day oracle in plain Python (:mod:`tests.oracles.bruteforce`)
and a DuckDB SQL implementation of definitions section 4 (:mod:`tests.oracles.duckdb_metrics`,
:mod:`tests.oracles.duckdb_sql`), also the baseline of ``benchmarks/metrics_vs_duckdb.py``.
"""
