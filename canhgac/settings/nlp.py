"""The `nlp` section of the configuration: reputation-rule thresholds."""

from __future__ import annotations

from pydantic import Field

from canhgac.settings import Section


class NlpSettings(Section):
    """Settings of the NLP room (reputation rules run by `canhgac nlp reputation`)."""

    watch_lookback_hours: float = Field(
        24.0, gt=0, description="articles this recent are checked for watch-list hits")
    spike_baseline_days: int = Field(
        14, ge=3, description="trailing days forming an entity/topic's negative-share baseline")
    spike_z: float = Field(
        3.0, gt=0, description="z-score of today's negative share vs the baseline that fires")
    spike_min_count: int = Field(
        5, ge=1, description="mentions needed today before a spike can fire")
    spike_min_baseline_days: int = Field(
        3, ge=1, description="days with mentions needed in the baseline window")
    spike_min_std: float = Field(
        0.05, gt=0, description="floor of the baseline std (a flat history is not infinitely "
                                "sensitive)")
    story_window_hours: float = Field(24.0, gt=0, description="window of a spreading story")
    story_similarity: float = Field(
        0.5, gt=0, le=1, description="Jaccard similarity of title+lead shingles that joins "
                                     "two articles into one story")
    story_min_outlets: int = Field(3, ge=2, description="distinct outlets that make a story spread")
    story_min_posts: int = Field(10, ge=2, description="posts/articles that make a story spread")
    burst_window_hours: int = Field(6, ge=1, le=24, description="length of a volume-burst window")
    burst_baseline_days: int = Field(7, ge=1, description="trailing days of burst-window baseline")
    burst_z: float = Field(3.0, gt=0, description="z-score of the window's topic volume that fires")
    burst_min_count: int = Field(5, ge=1, description="articles needed in the window")
    burst_min_ratio: float = Field(2.0, ge=1, description="window count / baseline mean needed")
