"""Article-length text: the shipped models give topics to news bodies, not only
to headlines (the English model once gave no topic to any text past a short
headline), and the training helpers behind that fix."""

from __future__ import annotations

import pytest

from detection.nlp import enrich
from detection.nlp.data import Labelled, compose_long, load_shipped, split_of
from detection.nlp.pipelines import load_pipeline, pick_topics, topic_thresholds
from detection.nlp.resources import TOPICS

# written for this test; not in the training files
EN_FLOOD = {
    "title": "Overnight downpour and spring tide flood dozens of streets in Can Tho",
    "body": ("Water rose quickly after midnight when a long downpour met the spring tide, "
             "and by dawn residents of several wards in Ninh Kieu and Cai Rang districts "
             "woke up to streets under thirty to fifty centimetres of water. Many people "
             "had to push their motorbikes home, and small shops along the river lost "
             "goods they had stacked on the floor. Families living in low alleys said the "
             "water reached their living rooms for the second time this month and they are "
             "tired of cleaning mud from their homes. The city said pumps were running at "
             "full power and asked residents to follow the tide warnings issued each "
             "afternoon. Forecasters expect more heavy rain later this week."),
}
EN_HEALTH = {
    "title": "Children's ward overwhelmed as dengue cases keep rising",
    "body": ("Doctors at the children's hospital say they are treating three times as many "
             "dengue patients as at this time last year, and some children now share beds in "
             "the corridors. Parents waiting outside the ward said they had been told to "
             "expect a long stay. The hospital has called in staff from other departments "
             "and asked the city for more beds and medicine. Health workers are spraying "
             "against mosquitoes in the worst-hit wards, but residents say the teams came "
             "too late. Two children have died since the start of the rainy season."),
}
VI_SCAM = {
    "title": "Nhiều người dân Cần Thơ sập bẫy ứng dụng đầu tư tiền ảo",
    "body": ("Thời gian gần đây, công an thành phố nhận được hàng chục đơn trình báo của người "
             "dân bị lừa qua các ứng dụng đầu tư tiền ảo hứa hẹn lợi nhuận cao. Ban đầu nạn "
             "nhân được rút tiền lãi nhỏ để tạo lòng tin, sau đó bị yêu cầu nạp thêm hàng "
             "trăm triệu đồng rồi tài khoản bị khóa, không liên lạc được với ai. Một giáo viên "
             "về hưu mất toàn bộ số tiền dành dụm cả đời. Nhiều người xấu hổ nên không dám "
             "báo với gia đình. Công an khuyến cáo người dân không tham gia các ứng dụng "
             "không rõ nguồn gốc và không chuyển tiền cho người lạ."),
}


@pytest.mark.parametrize(("article", "topic"), [
    (EN_FLOOD, "environment"), (EN_HEALTH, "health"), (VI_SCAM, "cyber"),
])
def test_news_length_articles_get_a_topic(article: dict, topic: str) -> None:
    # sentiment is asserted only for English (next test): on long Vietnamese
    # texts whose wording the training set never saw it is still unreliable
    # (the scam article above reads as positive); `canhgac nlp evaluate` reports it
    assert len(article["title"] + article["body"]) > 500
    art = enrich(article)
    assert art["topics"][:1] == [topic]


@pytest.mark.parametrize("article", [EN_FLOOD, EN_HEALTH])
def test_english_incident_articles_read_negative(article: dict) -> None:
    # the flood article read as positive (0.86) before the third English batch
    # (city_en_4, city_en_long_2: incidents that end with an official's promise)
    assert enrich(article)["sentiment"]["label"] == "negative"


def test_shipped_models_carry_calibrated_topic_thresholds() -> None:
    for lang in ("vi", "en"):
        limits = topic_thresholds(load_pipeline(lang))
        assert set(limits) == set(TOPICS)
        assert all(0.0 < v < 1.0 for v in limits.values())
    # a calibrated threshold is what decides, not the 0.5 default
    cats = {t: 0.0 for t in TOPICS} | {"health": 0.3, "traffic": 0.25}
    assert pick_topics(cats, {"health": 0.5, "traffic": 0.2}) == ["traffic"]
    assert pick_topics(cats) == ["health"]  # nothing reaches 0.5: best above 0.2


def test_splits_are_fixed_and_disjoint() -> None:
    items = load_shipped()
    splits = {i.split for i in items}
    assert splits == {"train", "dev", "test"}
    dev = [i for i in items if i.split == "dev"]
    assert 0.08 < len(dev) / len(items) < 0.25
    assert all(split_of(i.text) == "dev" for i in dev)
    # article-length texts are part of every split's data
    for split in ("train", "test"):
        assert any(len(i.text) > 500 for i in items if i.split == split)


def test_composites_keep_one_topic_and_one_sentiment() -> None:
    items = [Labelled(f"Câu số {n} về ngập", "vi", "negative", ("environment",)) for n in range(6)]
    items += [Labelled("Hai chủ đề", "vi", "negative", ("environment", "traffic")),
              Labelled("ngập", "vi", "", ("environment",), "lexicon")]
    out = compose_long(items, seed=1)
    assert out and all(c.topics == ("environment",) and c.sentiment == "negative"
                       and c.source == "composite" for c in out)
    assert all(3 <= c.text.count("Câu số") <= 6 for c in out)
    assert "Hai chủ đề" not in " ".join(c.text for c in out)
    assert compose_long(items, seed=1) == out  # deterministic
