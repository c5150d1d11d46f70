"""The Sigma engine: load rules, convert them per backend, run them over the
store (incrementally or once over files), evaluate correlations and write
alerts.

Modules: ``loader`` (files → rules, with every broken rule reported),
``pipelines`` (our processing pipelines: field names and log sources),
``convert`` (rules → native queries per backend, with coverage),
``sqlite_exec`` / ``engine_exec`` (run compiled rules), ``correlation``
(sliding-window correlation rules), ``runner`` (incremental detection passes
with checkpoints), ``evtx`` (EVTX → ECS for hunting), ``hunt`` (hunt mode).
"""
