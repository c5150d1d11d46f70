"""The route table: every path of the API, its method, handler and roles, in one place.

``admin`` is allowed everywhere (``Require`` adds it).  ``PUBLIC`` routes need
no credentials; every other route lists its roles here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.auth.deps import (
    ADMIN,
    ANY_READ,
    INGEST,
    LEADER,
    REPUTATION_READ,
    REPUTATION_WRITE,
    SECURITY_READ,
    TRIAGE,
    Require,
)
from api.routes import (
    alerts,
    articles,
    audit_log,
    auth,
    events,
    health,
    incidents,
    ingest,
    rules,
    sources,
    stats,
    summary,
    suppressions,
    users,
)

PUBLIC = None
ANY_PERSON = Require("soc_analyst", "comms", "leader")
V1 = "/api/v1"


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Callable[..., Any]
    roles: Require | None
    tag: str
    status: int = 200


ROUTES: list[RouteSpec] = [
    # health and metrics
    RouteSpec("GET", "/healthz", health.healthz, PUBLIC, "health"),
    RouteSpec("GET", "/readyz", health.readyz, PUBLIC, "health"),
    RouteSpec("GET", "/metrics", health.metrics, PUBLIC, "health"),
    # authentication
    RouteSpec("POST", f"{V1}/auth/login", auth.login, PUBLIC, "auth"),
    RouteSpec("POST", f"{V1}/auth/refresh", auth.refresh, PUBLIC, "auth"),
    RouteSpec("POST", f"{V1}/auth/logout", auth.logout, ANY_PERSON, "auth"),
    RouteSpec("GET", f"{V1}/auth/me", auth.me, Require("soc_analyst", "comms", "leader",
                                                       "ingest"), "auth"),
    # users and API keys
    RouteSpec("GET", f"{V1}/users", users.list_users, ADMIN, "users"),
    RouteSpec("POST", f"{V1}/users", users.create_user, ADMIN, "users", 201),
    RouteSpec("PATCH", f"{V1}/users/{{username}}", users.update_user, ADMIN, "users"),
    RouteSpec("GET", f"{V1}/api-keys", users.list_keys, ADMIN, "users"),
    RouteSpec("POST", f"{V1}/api-keys", users.create_key, ADMIN, "users", 201),
    RouteSpec("DELETE", f"{V1}/api-keys/{{key_id}}", users.revoke_key, ADMIN, "users"),
    # events
    RouteSpec("GET", f"{V1}/events", events.list_events, SECURITY_READ, "events"),
    RouteSpec("POST", f"{V1}/events/search", events.search_events, SECURITY_READ, "events"),
    RouteSpec("POST", f"{V1}/events/aggregate", events.aggregate_events, SECURITY_READ, "events"),
    RouteSpec("POST", f"{V1}/events/ingest", ingest.ingest_ndjson, INGEST, "ingest"),
    RouteSpec("GET", f"{V1}/events/{{event_id}}", events.get_event, SECURITY_READ, "events"),
    RouteSpec("GET", f"{V1}/events/{{event_id}}/timeline", events.event_timeline, SECURITY_READ,
              "events"),
    # Elasticsearch-compatible ingestion for shippers
    RouteSpec("GET", "/", ingest.es_info, INGEST, "ingest"),
    RouteSpec("GET", "/_cluster/health", ingest.es_cluster_health, INGEST, "ingest"),
    RouteSpec("POST", "/_bulk", ingest.es_bulk, INGEST, "ingest"),
    RouteSpec("PUT", "/_bulk", ingest.es_bulk, INGEST, "ingest"),
    RouteSpec("POST", "/{index}/_bulk", ingest.es_bulk_index, INGEST, "ingest"),
    # alerts and incidents
    RouteSpec("GET", f"{V1}/alerts", alerts.list_alerts, ANY_READ, "alerts"),
    RouteSpec("GET", f"{V1}/alerts/{{alert_id}}", alerts.get_alert, ANY_READ, "alerts"),
    RouteSpec("GET", f"{V1}/incidents", incidents.list_incidents, ANY_READ, "incidents"),
    RouteSpec("GET", f"{V1}/incidents/{{incident_id}}", incidents.get_incident, ANY_READ,
              "incidents"),
    RouteSpec("POST", f"{V1}/incidents/{{incident_id}}/status", incidents.set_status, TRIAGE,
              "incidents"),
    RouteSpec("POST", f"{V1}/incidents/{{incident_id}}/assign", incidents.assign, TRIAGE,
              "incidents"),
    RouteSpec("POST", f"{V1}/incidents/{{incident_id}}/comments", incidents.comment, TRIAGE,
              "incidents"),
    RouteSpec("POST", f"{V1}/incidents/{{incident_id}}/merge", incidents.merge, TRIAGE,
              "incidents"),
    RouteSpec("POST", f"{V1}/incidents/{{incident_id}}/alerts", incidents.link_alerts, TRIAGE,
              "incidents"),
    # suppression rules (silence known-benign alerts, with an expiry)
    RouteSpec("GET", f"{V1}/suppressions", suppressions.list_suppressions, TRIAGE,
              "incidents"),
    RouteSpec("POST", f"{V1}/suppressions", suppressions.create_suppression, TRIAGE,
              "incidents", 201),
    RouteSpec("DELETE", f"{V1}/suppressions/{{suppression_id}}",
              suppressions.delete_suppression, TRIAGE, "incidents"),
    # rules
    RouteSpec("GET", f"{V1}/rules", rules.list_rules, SECURITY_READ, "rules"),
    RouteSpec("GET", f"{V1}/rules/coverage", rules.coverage, SECURITY_READ, "rules"),
    RouteSpec("POST", f"{V1}/rules", rules.upload_rule, ADMIN, "rules", 201),
    RouteSpec("GET", f"{V1}/rules/{{rule_id}}", rules.show_rule, SECURITY_READ, "rules"),
    RouteSpec("POST", f"{V1}/rules/{{rule_id}}/enable", rules.enable_rule, Require("soc_analyst"),
              "rules"),
    RouteSpec("POST", f"{V1}/rules/{{rule_id}}/disable", rules.disable_rule,
              Require("soc_analyst"), "rules"),
    # articles and mentions
    RouteSpec("GET", f"{V1}/articles", articles.list_articles, REPUTATION_READ, "articles"),
    RouteSpec("GET", f"{V1}/articles/stories", articles.stories, REPUTATION_READ, "articles"),
    RouteSpec("GET", f"{V1}/articles/stats", articles.stats, REPUTATION_READ, "articles"),
    RouteSpec("GET", f"{V1}/articles/{{article_id}}", articles.get_article, REPUTATION_READ,
              "articles"),
    RouteSpec("POST", f"{V1}/articles/{{article_id}}/labels", articles.correct_labels,
              REPUTATION_WRITE, "articles"),
    # sources and collectors
    RouteSpec("GET", f"{V1}/sources", sources.list_sources, ANY_READ, "sources"),
    RouteSpec("POST", f"{V1}/sources", sources.create_source, ADMIN, "sources", 201),
    RouteSpec("PATCH", f"{V1}/sources/{{source_id}}", sources.update_source, ADMIN, "sources"),
    RouteSpec("GET", f"{V1}/collectors/health", sources.collector_health, ANY_READ, "sources"),
    # the dashboard's aggregations (computed in the store)
    RouteSpec("GET", f"{V1}/stats/alerts/per-day", stats.alerts_per_day, ANY_READ, "stats"),
    RouteSpec("GET", f"{V1}/stats/alerts/top-assets", stats.top_assets, SECURITY_READ, "stats"),
    RouteSpec("GET", f"{V1}/stats/articles/series", stats.article_series, REPUTATION_READ,
              "stats"),
    RouteSpec("GET", f"{V1}/stats/articles/share-of-voice", stats.share_of_voice,
              REPUTATION_READ, "stats"),
    RouteSpec("GET", f"{V1}/stats/articles/top-sources", stats.top_sources, REPUTATION_READ,
              "stats"),
    # the one screen: each person's domains, the leader's summary, and audit
    RouteSpec("GET", f"{V1}/overview", summary.overview, ANY_PERSON, "summary"),
    RouteSpec("GET", f"{V1}/summary", summary.summary, LEADER, "summary"),
    RouteSpec("GET", f"{V1}/audit", audit_log.list_audit, ADMIN, "audit"),
]
