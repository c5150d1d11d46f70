"""Normalisation, language detection, gazetteer linking and watch-list matching."""

from __future__ import annotations

import unicodedata

import pytest

from detection.nlp.gazetteer import GazetteerMatcher
from detection.nlp.resources import GazetteerEntry, WatchList, load_gazetteer, load_watchlists
from detection.nlp.text import detect_language, fold, has_diacritics, normalise
from detection.nlp.watchlist import WatchListMatcher


@pytest.fixture(scope="module")
def gaz() -> GazetteerMatcher:
    return GazetteerMatcher()


def test_fold_and_normalise() -> None:
    nfd = unicodedata.normalize("NFD", "Cần Thơ  Đường")
    assert normalise(nfd) == "Cần Thơ Đường"
    assert fold(nfd) == "can tho  duong"
    assert has_diacritics("Cần Thơ") and not has_diacritics("Can Tho")


@pytest.mark.parametrize(("text", "lang"), [
    ("Người dân bức xúc vì kẹt xe", "vi"),
    ("nguoi dan buc xuc vi ket xe tren duong cua thanh pho", "vi"),
    ("Traffic jam on the bridge after the storm", "en"),
    ("", "und"),
])
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", [
    "UBND TP Cần Thơ họp khẩn",
    "Ủy ban nhân dân thành phố Cần Thơ họp khẩn",
    "Uỷ ban nhân dân thành phố Cần Thơ họp khẩn",
    "UBND thành phố họp khẩn",
    "uy ban nhan dan thanh pho can tho hop khan",
    unicodedata.normalize("NFD", "Ủy ban nhân dân thành phố Cần Thơ họp khẩn"),
    "The Can Tho People's Committee met today",
])
def test_aliases_link_to_one_canonical_id(gaz: GazetteerMatcher, text: str) -> None:
    assert [e["id"] for e in gaz.entities(text)] == ["org.ubnd_tp"]


def test_places_bridges_markets_and_longest_match(gaz: GazetteerMatcher) -> None:
    text = ("Kẹt xe trên cầu Cần Thơ và cầu Hưng Lợi; chợ nổi Cái Răng vắng ghe; "
            "ngập ở quận Ninh Kiều, Bình Thủy, Ô Môn, Thốt Nốt, Phong Điền, Cờ Đỏ, "
            "Vĩnh Thạnh, Thới Lai")
    ids = [e["id"] for e in gaz.entities(text)]
    assert ids == ["bridge.can_tho", "bridge.hung_loi", "market.cho_noi_cai_rang",
                   "loc.ninh_kieu", "loc.binh_thuy", "loc.o_mon", "loc.thot_not",
                   "loc.phong_dien", "loc.co_do", "loc.vinh_thanh", "loc.thoi_lai"]


def test_accent_clash_and_word_boundaries(gaz: GazetteerMatcher) -> None:
    assert gaz.entities("Cẩn thơ mộng") == []  # accented and different from "Cần Thơ"
    assert gaz.entities("Cantho Ninhkieu") == []  # not whole syllables
    assert [e["id"] for e in gaz.entities("can tho")] == ["loc.can_tho"]


def test_gazetteer_extension_by_admin(tmp_path) -> None:
    entry = GazetteerEntry(id="person.x", label="ROLE", name="Giám đốc Sở Y tế",
                           aliases=["Giám đốc Sở Y tế"])
    gaz = GazetteerMatcher([*load_gazetteer(), entry])
    assert [e["id"] for e in gaz.entities("Giam doc So Y te phat bieu")] == ["person.x"]


def test_shipped_watchlists_are_valid() -> None:
    ids = {e.id for e in load_gazetteer()}
    lists = load_watchlists(known_ids=ids)
    assert {w.id for w in lists} >= {"wl.flooding", "wl.online_scams", "wl.city_leadership"}
    assert all(w.owner and w.severity for w in lists)


def test_watchlist_keywords(gaz: GazetteerMatcher) -> None:
    lists = [
        WatchList(id="scam", name="scam", owner="o", severity="high", any=["lừa đảo", "scam"],
                  none=["diễn tập"]),
        WatchList(id="lead", name="lead", owner="o", severity="high",
                  entities=["org.ubnd_tp"], sentiment="negative"),
        WatchList(id="both", name="both", owner="o", severity="low", any=["ngập"],
                  all=["Ninh Kiều"]),
    ]
    m = WatchListMatcher(lists, gaz.nlp)

    def hits(text: str, sentiment: str = "neutral") -> list[str]:
        doc = gaz.doc(text)
        ids = {e["id"] for e in gaz.entities(doc)}
        return [h.id for h in m.match(doc, ids, sentiment)]

    assert hits("Cảnh báo LỪA ĐẢO qua mạng") == ["scam"]
    assert hits("canh bao lua dao qua mang") == ["scam"]
    assert hits(unicodedata.normalize("NFD", "cảnh báo lừa đảo")) == ["scam"]
    assert hits("Diễn tập phòng chống lừa đảo") == []  # excluded by none
    assert hits("scampi festival") == []  # whole words only
    assert hits("lựa đao") == []  # accented and different
    assert hits("UBND TP Cần Thơ bị chỉ trích", "negative") == ["lead"]
    assert hits("UBND TP Cần Thơ được khen", "positive") == []
    assert hits("Ngập ở Ninh Kiều") == ["both"]
    assert hits("Ngập ở Cái Răng") == []
