"""The search-engine backend: Elasticsearch 8.x and OpenSearch 2.x/3.x.

``adapters`` wraps each product's client behind one small interface,
``mappings`` turns ``store.schema`` into index templates, ``translate`` turns
the query model into query DSL and answers back, and ``backend`` holds
``EngineStore``, the ``store.base.Store`` built on them.
"""

from store.engine.backend import EngineStore

__all__ = ["EngineStore"]
