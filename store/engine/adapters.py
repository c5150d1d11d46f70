"""One thin adapter per search-engine client, behind one small interface.

``OpenSearchAdapter`` drives ``opensearchpy.OpenSearch`` (OpenSearch 2.x/3.x),
``ElasticsearchAdapter`` drives ``elasticsearch.Elasticsearch`` (8.x).  Both
speak the same request bodies; they differ only in how the client is built
and in the exceptions it raises, which are mapped here, at the boundary, to
``store.errors`` (chained ``from exc``):

- connection refused, DNS, TLS, timeout  → ``StoreUnavailable``
- 401, 403                               → ``StoreAuthError``
- wrong product or major version         → ``StoreVersionError``
- 404 → ``NotFound``, 409 → ``ConflictError``, other 4xx → ``QueryError``
- 429, 502-504, read-only cluster block  → ``StoreUnavailable``
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from store.errors import (
    ConflictError,
    NotFound,
    QueryError,
    StoreAuthError,
    StoreError,
    StoreUnavailable,
    StoreVersionError,
)

PRODUCTS = ("opensearch", "elasticsearch")
SUPPORTED_TEXT = "OpenSearch 2.x or 3.x (product='opensearch'), Elasticsearch 8.x " \
                 "(product='elasticsearch')"


def redact_url(url: str) -> str:
    """The URL without any password it carries."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{parts.username}:***@{host}", parts.path,
                       parts.query, parts.fragment))


def error_type(body: Any) -> str | None:
    """The engine's error type (``version_conflict_engine_exception`` ...)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("type")
    return None


def error_reason(body: Any) -> str:
    """A one-line reason from an engine error body (or bulk item error)."""
    error = body.get("error", body) if isinstance(body, dict) else body
    if not isinstance(error, dict):
        return str(error)
    root = (error.get("root_cause") or [error])[0]
    text = f"{root.get('type', 'error')}: {root.get('reason', '')}".rstrip(": ")
    cause = error.get("caused_by")
    while isinstance(cause, dict):
        if cause.get("reason") and cause["reason"] not in text:
            text += f" (caused by {cause.get('type')}: {cause['reason']})"
        cause = cause.get("caused_by")
    return text


def identify(info: dict[str, Any]) -> tuple[str, str]:
    """``(product, version)`` from the root endpoint's answer."""
    version = info.get("version") or {}
    number = str(version.get("number", "unknown"))
    if version.get("distribution") == "opensearch":
        return "OpenSearch", number
    if info.get("tagline") == "You Know, for Search":
        return "Elasticsearch", number
    return str(version.get("distribution") or "an unknown product"), number


def _plain(response: Any) -> Any:
    """Client responses as plain Python values (elasticsearch wraps them)."""
    body = getattr(response, "body", response)
    return body


class EngineAdapter(abc.ABC):
    """The few engine operations the store needs, with errors already mapped."""

    product: ClassVar[str]
    label: ClassVar[str]
    majors: ClassVar[tuple[int, ...]]

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None,
                 api_key: str | None = None, verify_certs: bool = True,
                 ca_certs: str | None = None, timeout: float = 30.0, retries: int = 1) -> None:
        self.url = redact_url(url)
        self.timeout = timeout
        self.client = self._make_client(url, username=username, password=password,
                                        api_key=api_key, verify_certs=verify_certs,
                                        ca_certs=ca_certs, timeout=timeout, retries=retries)

    # -- what each product supplies --------------------------------------------------
    @abc.abstractmethod
    def _make_client(self, url: str, **options: Any) -> Any:
        """Build the product's client."""

    @abc.abstractmethod
    def _http_error(self, exc: Exception) -> tuple[int, Any] | None:
        """``(status, body)`` when ``exc`` is an HTTP error answer, else None."""

    @abc.abstractmethod
    def _special_error(self, exc: Exception, what: str) -> StoreError | None:
        """Product-specific mapping tried first (connection, product check)."""

    # The client's exception base classes, set by each subclass.
    client_errors: tuple[type[Exception], ...] = ()

    # -- error mapping ---------------------------------------------------------------
    def _unreachable(self, what: str, detail: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"{self.label} at {self.url} is unreachable ({what}): {detail}")

    def _translate(self, exc: Exception, what: str) -> StoreError:
        special = self._special_error(exc, what)
        if special is not None:
            return special
        http = self._http_error(exc)
        if http is None:
            return StoreError(f"{self.label} client error ({what}): {exc}")
        status, body = http
        reason = error_reason(body) if body else str(exc)
        where = f"{self.label} at {self.url}"
        if status == 401:
            return StoreAuthError(f"{where} refused our credentials ({what}): {reason}")
        if status == 403:
            if error_type(body) == "cluster_block_exception":
                return StoreUnavailable(f"{where} refuses writes ({what}): {reason}")
            return StoreAuthError(f"{where} denied access ({what}): {reason}")
        if status == 404:
            return NotFound(f"{what}: {reason}")
        if status == 409:
            return ConflictError(f"{what}: {reason}")
        if status == 429 or status in (502, 503, 504):
            return StoreUnavailable(f"{where} is overloaded or unavailable "
                                    f"(HTTP {status}, {what}): {reason}")
        if 400 <= status < 500:
            return QueryError(f"{what}: {reason}")
        return StoreError(f"{where} failed (HTTP {status}, {what}): {reason}")

    def _call(self, what: str, fn: Callable[..., Any], /, tolerate: tuple[Any, ...] = (),
              **kwargs: Any) -> Any:
        """Run one client call; errors whose status or type is in ``tolerate``
        give None, the others are mapped to store errors."""
        try:
            return _plain(fn(**kwargs))
        except self.client_errors as exc:
            http = self._http_error(exc)
            if http is not None and (http[0] in tolerate or error_type(http[1]) in tolerate):
                return None
            raise self._translate(exc, what) from exc

    # -- cluster -----------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return self._call("reading cluster info", self.client.info)

    def check(self) -> dict[str, str]:
        """Fail with StoreVersionError unless this is the product and version we drive."""
        info = self.info()
        product, number = identify(info)
        major = number.split(".", 1)[0]
        if product != self.label or not major.isdigit() or int(major) not in self.majors:
            raise StoreVersionError(
                f"{self.url} runs {product} {number}; product={self.product!r} expects "
                f"{self.label} {' or '.join(f'{m}.x' for m in self.majors)}. "
                f"Supported: {SUPPORTED_TEXT}")
        return {"product": product, "version": number,
                "cluster_name": str(info.get("cluster_name", ""))}

    def health(self) -> dict[str, Any]:
        return self._call("reading cluster health", self.client.cluster.health)

    # -- documents ---------------------------------------------------------------------
    def bulk(self, operations: list[Any] | bytes, *, refresh: bool = False) -> dict[str, Any]:
        """Send bulk lines: dicts, or one NDJSON body already serialised."""
        params = {"refresh": "true"} if refresh else {}
        return self._call("bulk write", self.client.bulk, body=operations, **params)

    def get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        return self._call(f"get {index}/{doc_id}", self.client.get, tolerate=(404,),
                          index=index, id=doc_id)

    def mget(self, docs: list[dict[str, str]]) -> list[dict[str, Any]]:
        if not docs:
            return []
        return self._call("multi-get", self.client.mget, body={"docs": docs})["docs"]

    def index(self, index: str, doc_id: str, document: dict[str, Any], *,
              op_type: str = "index", if_seq_no: int | None = None,
              if_primary_term: int | None = None, refresh: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"op_type": op_type}
        if if_seq_no is not None and if_primary_term is not None:
            params.update(if_seq_no=if_seq_no, if_primary_term=if_primary_term)
        if refresh:
            params["refresh"] = "true"
        return self._call(f"write {index}/{doc_id}", self.client.index, index=index, id=doc_id,
                          body=document, **params)

    def delete(self, index: str, doc_id: str, *, refresh: bool = False) -> bool:
        params = {"refresh": "true"} if refresh else {}
        result = self._call(f"delete {index}/{doc_id}", self.client.delete, tolerate=(404,),
                            index=index, id=doc_id, **params)
        return result is not None and result.get("result") == "deleted"

    def delete_by_query(self, index: str, query: dict[str, Any]) -> int:
        result = self._call(f"delete by query from {index}", self.client.delete_by_query,
                            index=index, body={"query": query}, conflicts="proceed",
                            refresh="true")
        return int(result.get("deleted", 0))

    # -- search ------------------------------------------------------------------------
    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(f"search {index}", self.client.search, index=index, body=body)

    def msearch(self, index: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One response per body; a failed search is ``{"error": ...}`` in its place."""
        if not bodies:
            return []
        lines: list[dict[str, Any]] = []
        for body in bodies:
            lines += [{}, body]
        return self._call(f"multi-search {index}", self.client.msearch, index=index,
                          body=lines)["responses"]

    def count(self, index: str, query: dict[str, Any]) -> dict[str, Any]:
        """The ``_count`` answer (``count`` and ``_shards``)."""
        return self._call(f"count {index}", self.client.count, index=index,
                          body={"query": query})

    # -- indices, templates, data streams -------------------------------------------------
    def put_index_template(self, name: str, body: dict[str, Any]) -> None:
        self._call(f"put index template {name}", self.client.indices.put_index_template,
                   name=name, body=body)

    def delete_index_template(self, name: str) -> None:
        self._call(f"delete index template {name}", self.client.indices.delete_index_template,
                   tolerate=(404,), name=name)

    def indices_exist(self, index: str) -> bool:
        return bool(self._call(f"check index {index}", self.client.indices.exists, index=index))

    def create_index(self, index: str, body: dict[str, Any]) -> bool:
        """Create ``index`` unless it exists; True when this call created it."""
        if self.indices_exist(index):
            return False
        result = self._call(f"create index {index}", self.client.indices.create,
                            tolerate=("resource_already_exists_exception",), index=index,
                            body=body)
        return result is not None

    def put_mapping(self, index: str, mappings: dict[str, Any]) -> None:
        self._call(f"update mapping of {index}", self.client.indices.put_mapping, index=index,
                   body=mappings)

    def delete_index(self, index: str) -> None:
        self._call(f"delete index {index}", self.client.indices.delete, tolerate=(404,),
                   index=index)

    def refresh(self, index: str) -> None:
        self._call(f"refresh {index}", self.client.indices.refresh, index=index)

    def data_streams(self, pattern: str) -> list[dict[str, Any]]:
        """The data streams matching ``pattern`` (name, backing indices ...)."""
        result = self._call(f"list data streams {pattern}", self.client.indices.get_data_stream,
                            tolerate=(404,), name=pattern)
        return list((result or {}).get("data_streams", []))

    def delete_data_stream(self, name: str) -> None:
        self._call(f"delete data stream {name}", self.client.indices.delete_data_stream,
                   tolerate=(404,), name=name)

    def close(self) -> None:
        self.client.close()


class OpenSearchAdapter(EngineAdapter):
    """``opensearchpy.OpenSearch`` against OpenSearch 2.x or 3.x."""

    product = "opensearch"
    label = "OpenSearch"
    majors = (2, 3)

    def __init__(self, url: str, **options: Any) -> None:
        import opensearchpy.exceptions as osx

        self._x = osx
        self.client_errors = (osx.OpenSearchException, osx.ImproperlyConfigured)
        super().__init__(url, **options)

    def _make_client(self, url: str, **o: Any) -> Any:
        from opensearchpy import OpenSearch

        kwargs: dict[str, Any] = {
            "hosts": [url], "timeout": o["timeout"], "max_retries": o["retries"],
            "retry_on_timeout": False, "verify_certs": o["verify_certs"],
            "ssl_show_warn": o["verify_certs"],
        }
        if o["ca_certs"]:
            kwargs["ca_certs"] = o["ca_certs"]
        if o["username"] is not None:
            kwargs["http_auth"] = (o["username"], o["password"] or "")
        if o["api_key"]:
            kwargs["headers"] = {"authorization": f"ApiKey {o['api_key']}"}
        return OpenSearch(**kwargs)

    def _http_error(self, exc: Exception) -> tuple[int, Any] | None:
        if isinstance(exc, self._x.ConnectionError) or not isinstance(exc,
                                                                     self._x.TransportError):
            return None
        status = exc.status_code
        if not isinstance(status, int):
            return None
        return status, exc.info if isinstance(exc.info, dict) else None

    def _special_error(self, exc: Exception, what: str) -> StoreError | None:
        if isinstance(exc, self._x.ConnectionTimeout):
            return self._unreachable(what, f"no answer within {self.timeout:g}s")
        if isinstance(exc, self._x.ConnectionError):
            return self._unreachable(what, f"{type(exc.info).__name__}: {exc.info}")
        return None


class ElasticsearchAdapter(EngineAdapter):
    """``elasticsearch.Elasticsearch`` (8.x client) against Elasticsearch 8.x."""

    product = "elasticsearch"
    label = "Elasticsearch"
    majors = (8,)

    def __init__(self, url: str, **options: Any) -> None:
        import elastic_transport
        import elasticsearch

        self._t = elastic_transport
        self._es = elasticsearch
        self.client_errors = (elastic_transport.TransportError, elastic_transport.ApiError)
        super().__init__(url, **options)

    def _make_client(self, url: str, **o: Any) -> Any:
        from elasticsearch import Elasticsearch

        kwargs: dict[str, Any] = {
            "request_timeout": o["timeout"], "max_retries": o["retries"],
            "retry_on_timeout": False,
        }
        if url.lower().startswith("https:"):
            kwargs.update(verify_certs=o["verify_certs"], ssl_show_warn=o["verify_certs"])
            if o["ca_certs"]:
                kwargs["ca_certs"] = o["ca_certs"]
        if o["username"] is not None:
            kwargs["basic_auth"] = (o["username"], o["password"] or "")
        if o["api_key"]:
            kwargs["api_key"] = o["api_key"]
        return Elasticsearch(url, **kwargs)

    def _http_error(self, exc: Exception) -> tuple[int, Any] | None:
        if isinstance(exc, self._t.ApiError) and exc.meta is not None:
            return int(exc.meta.status), exc.body if isinstance(exc.body, dict) else None
        return None

    def _special_error(self, exc: Exception, what: str) -> StoreError | None:
        if isinstance(exc, self._t.ConnectionTimeout):
            return self._unreachable(what, f"no answer within {self.timeout:g}s")
        if isinstance(exc, self._t.ConnectionError):
            return self._unreachable(what, str(exc))
        if isinstance(exc, self._es.UnsupportedProductError):
            found = "a server that is not Elasticsearch"
            if isinstance(exc.body, dict):
                product, number = identify(exc.body)
                found = f"{product} {number}"
            return StoreVersionError(
                f"{self.url} runs {found}; product='elasticsearch' expects Elasticsearch 8.x. "
                f"Supported: {SUPPORTED_TEXT}")
        if isinstance(exc, self._t.ApiError) and exc.meta is not None:
            headers = exc.meta.headers or {}
            if exc.meta.status not in (401, 403) and \
                    headers.get("x-elastic-product") != "Elasticsearch":
                return StoreVersionError(
                    f"{self.url} did not identify as Elasticsearch (HTTP {exc.meta.status}: "
                    f"{exc.message}); product='elasticsearch' expects Elasticsearch 8.x. "
                    f"Supported: {SUPPORTED_TEXT}")
        return None


def make_adapter(product: str, url: str, **options: Any) -> EngineAdapter:
    """The adapter for ``product`` (``opensearch`` or ``elasticsearch``)."""
    if product == "opensearch":
        return OpenSearchAdapter(url, **options)
    if product == "elasticsearch":
        return ElasticsearchAdapter(url, **options)
    raise ValueError(f"product must be one of {', '.join(PRODUCTS)}, got {product!r}")
