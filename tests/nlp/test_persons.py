"""People in text (``detection.nlp.persons``): after a title or as a full
name, linked to one id whatever the spelling, never places named after people."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from detection.nlp.gazetteer import GazetteerMatcher
from detection.nlp.persons import person_id
from detection.nlp.resources import WatchList, load_watchlists

HELD_OUT = Path(__file__).parent / "fixtures" / "persons_heldout.txt"
MARK = re.compile(r"\[([^\]]+)\]\(PER\)")


@pytest.fixture(scope="module")
def gazetteer() -> GazetteerMatcher:
    return GazetteerMatcher()


def persons(g: GazetteerMatcher, text: str) -> list[tuple[str, str]]:
    return [(e["text"], e["id"]) for e in g.entities(text) if e["label"] == "PERSON"]


def test_titles_and_full_names(gazetteer: GazetteerMatcher) -> None:
    assert persons(gazetteer, "Theo ông Nguyễn Văn Hòa, nước đã rút.") == [
        ("Nguyễn Văn Hòa", "person.nguyen_van_hoa")]
    assert persons(gazetteer, "Lực lượng công an đã bắt giữ Lê Văn Tài hôm qua.") == [
        ("Lê Văn Tài", "person.le_van_tai")]
    assert persons(gazetteer, "chị Hân bán rau ở chợ") == [("Hân", "person.han")]
    assert persons(gazetteer, "Colonel Nguyen Huu Phuoc ordered an inquiry.") == [
        ("Nguyen Huu Phuoc", "person.nguyen_huu_phuoc")]


def test_one_id_with_or_without_diacritics_and_in_nfd(gazetteer: GazetteerMatcher) -> None:
    nfc = persons(gazetteer, "Bà Trần Thị Mai sống ở đây.")
    nfd = persons(gazetteer, unicodedata.normalize("NFD", "Bà Trần Thị Mai sống ở đây."))
    bare = persons(gazetteer, "Ba Tran Thi Mai song o day.")
    assert nfc[0][1] == nfd[0][1] == bare[0][1] == person_id("Tran Thi Mai")


@pytest.mark.parametrize("text", [
    "Người dân ở Bà Rịa và Ông Lãnh không bị ảnh hưởng.",  # places named with Bà/Ông
    "Đường Nguyễn Văn Cừ ngập sâu sau mưa.",  # a street
    "Học sinh Trường THPT Châu Văn Liêm khai giảng.",  # a school
    "Giá Lúa Tăng Mạnh Trong Tuần Qua, Nông Dân Phấn Khởi.",  # a Title Case headline
    "bà con ở đây rất lo",  # "bà con" is "folks"
    "The Vo Van Kiet avenue was closed.",
])
def test_places_and_headlines_are_not_people(gazetteer: GazetteerMatcher, text: str) -> None:
    assert persons(gazetteer, text) == []


def test_gazetteer_entities_are_kept(gazetteer: GazetteerMatcher) -> None:
    ents = gazetteer.entities("Ông Phạm Minh Trí, Giám đốc Sở Xây dựng, đi thị sát quận Ninh Kiều.")
    labels = {e["text"]: e["label"] for e in ents}
    assert labels["Phạm Minh Trí"] == "PERSON"
    assert any(e["id"].startswith("loc.") for e in ents)  # the district still links


def test_held_out_sentences(gazetteer: GazetteerMatcher) -> None:
    """Sentences written after the rules were tuned: precision 1.00, recall
    0.87 (13 of 15) when measured; a guard against falling well below."""
    tp = fp = fn = 0
    for line in HELD_OUT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        gold = MARK.findall(line)
        got = [t for t, _ in persons(gazetteer, MARK.sub(r"\1", line))]
        tp += sum(1 for t in got if t in gold)
        fp += sum(1 for t in got if t not in gold)
        fn += sum(1 for t in gold if t not in got)
    assert tp + fn >= 15
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.8


def test_watch_lists_may_name_people(tmp_path: Path) -> None:
    path = tmp_path / "watchlists.yaml"
    path.write_text("watchlists:\n  - id: wl.people\n    name: People we follow\n"
                    "    owner: comms\n    severity: medium\n"
                    "    entities: [person.nguyen_van_hoa]\n", encoding="utf-8")
    lists = load_watchlists(path, known_ids={"loc.can_tho"})
    assert isinstance(lists[0], WatchList) and lists[0].entities == ["person.nguyen_van_hoa"]


def test_display_names_of_people() -> None:
    from api.stats.articles import entity_name
    from detection.nlp.persons import person_name
    from detection.nlp.reputation import display_name

    assert person_name("person.nguyen_van_hoa") == "Nguyen Van Hoa"
    assert person_name("loc.can_tho") is None
    assert display_name("entities.id", "person.le_van_tai") == "Le Van Tai"
    assert entity_name("person.le_van_tai") == "Le Van Tai"
    assert display_name("entities.id", "loc.can_tho") != "loc.can_tho"  # the gazetteer's
