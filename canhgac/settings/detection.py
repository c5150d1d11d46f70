"""The `detection` section of the configuration."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from canhgac.settings import Section

# Our rule pack: rules/sigma at the root of the checkout (or of the editable
# install), found from here rather than from the working directory.
SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules" / "sigma"


class DetectionSettings(Section):
    """Settings of the Sigma detection worker and hunt mode."""

    rule_paths: list[Path] = Field(
        default_factory=lambda: [SHIPPED_RULES],
        description="folders or files of Sigma rules (SigmaHQ layout welcome); by default "
                    "our rule pack, rules/sigma next to the packages, wherever the command "
                    "runs from")
    extra_rule_paths: list[Path] = Field(
        default_factory=list, description="more rule folders, e.g. a SigmaHQ checkout")
    interval_seconds: float = Field(60.0, gt=0, description="pause between detection passes")
    lookback_seconds: float = Field(
        300.0, ge=0, description="overlap re-read before each rule's checkpoint (late events)")
    batch_size: int = Field(5000, gt=0, le=10000, description="events fetched per page")
    max_alert_events: int = Field(
        100, gt=0, description="event ids kept on one correlation alert")
    shard: str = Field(
        "1/1", pattern=r"^\s*[1-9][0-9]*\s*/\s*[1-9][0-9]*\s*$",
        description="i/n: this worker runs only the rules whose id hashes into share i "
                    "of n (one checkpoint per share); 1/1 runs every rule")
    jobs: int = Field(
        1, ge=1, le=64,
        description="SQLite: processes evaluating batches at once when a pass has a backlog "
                    "of several batches (one core each; 1: the worker's own process)")
    engine_evaluation: str = Field(
        "stream", pattern="^(queries|stream)$",
        description="Elasticsearch/OpenSearch: stream reads each pass's new events once and "
                    "evaluates every rule in the worker as SQL, as on SQLite (10-20x faster "
                    "with thousands of rules); queries runs each rule in the engine as a "
                    "Lucene query (_msearch). See docs/detection.md")
    engine_format: str = Field(
        "lucene", pattern="^(lucene|dsl_lucene)$", description="engine query output format")
    windows_pipeline: str = Field(
        "winlog", pattern="^(winlog|ecs_windows)$",
        description="winlog: Sigma fields → winlog.event_data.* (raw EVTX fields); "
                    "ecs_windows: pySigma's Winlogbeat ECS mapping")
