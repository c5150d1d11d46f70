"""Server-side aggregations for the dashboard: alerts, incidents and articles
counted over a time window, in buckets that start at Cần Thơ midnight.

Everything here uses only the store's aggregation contract (``TermsAgg``,
``DateHistogram``, ``Cardinality``, ...), so it gives the same answer on
SQLite and on the engine.  The contract has no sub-aggregations: a split
(by severity, by sentiment) is one aggregation per part, each on a small
filtered set, which both backends answer from their indexes.

- ``window``: the time window of a request and its zero-filled buckets.
- ``alerts``: alerts per day by domain, top attacked assets, open incidents.
- ``articles``: volume and sentiment over time per entity/topic/outlet,
  share of voice, top outlets and authors.
- ``overview``: the one-screen figures, cut to the domains a caller may see.
"""
