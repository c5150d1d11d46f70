"""People named the way Vietnamese (and English) news names them: a form of
address, kinship word, profession or rank (``ông``, ``bà``, ``anh``, ``chị``,
``bác sĩ``, ``thượng tá``, ``Mr``...) followed by a capitalised name of one to
four syllables ("ông Nguyễn Văn Hòa", "chị Hân", "Thượng tá Lê Minh"), or a
full name on its own: family name, middle name, given name ("Lê Văn Tài").

Each person links to a canonical id made from the folded name,
``person.nguyen_van_hoa``, so "Nguyễn Văn Hòa" and "Nguyen Van Hoa" count as
one; the id is not a gazetteer entry, so a person can be followed (volume,
sentiment, spikes) without anyone listing them first.

Hand-written rather than a statistical tagger: a tagger trained on the
sentences we annotated (``rules/nlp/ner/``) lost precision on organisations
and cost 8-25 ms per article (``rules/nlp/DATA_CARD.md``); these rules cost
microseconds and are measured on the same sentences.  A capitalised form of
address opens a name only before a family name, since places are named
that way too ("Bà Rịa", "Ông Lãnh", "Bà Chiểu"); a full name right after
"đường", "chợ", "trường"... is a street, market or school.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from detection.nlp.text import fold

# English forms of address, ranks and trades: capitalised, they still open a name.
ENGLISH_TITLES = {"mr", "mrs", "ms", "dr", "prof", "colonel", "major", "captain",
                  "lieutenant", "general", "sergeant", "teacher", "doctor", "farmer",
                  "fisherman", "driver", "lawyer", "officer", "pupil", "student", "trader"}
# Folded, lower-case; several words each.
TITLES = {tuple(t.split()) for t in (
    "ong", "ba", "anh", "chi", "co", "chu", "bac", "cu", "em",
    "bac si", "duoc si", "y ta", "dieu duong", "thac si", "tien si", "giao su",
    "pho giao su", "luat su", "ky su", "kien truc su", "nha bao", "phong vien",
    "nghe si", "ca si", "thay", "co giao", "thay giao", "giao vien", "hoc sinh",
    "sinh vien", "nong dan", "ngu dan", "cong nhan", "tieu thuong", "tai xe",
    "chu quan", "chu nha", "benh nhan", "nan nhan", "bi cao", "bi can", "doi tuong",
    "nghi pham", "dai tuong", "thuong tuong", "trung tuong", "thieu tuong", "dai ta",
    "thuong ta", "trung ta", "thieu ta", "dai uy", "thuong uy", "trung uy",
    "thieu uy", "ha si", "trung si", "thuong si",
    *ENGLISH_TITLES,
)}
LONGEST_TITLE = max(len(t) for t in TITLES)

# Folded; Vietnamese family names (Hoàng and Huỳnh, Vũ and Võ fold apart) and
# the common Hoa and Khmer ones of the Mekong delta.
SURNAMES = frozenset("""nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong
ly lam to truong dinh mai cao luu quach thai ta chau ha trinh doan la luong kieu tang
khuu van au ton mac thach quan lu nghiem giang tieu hua kha trieu du lac khuc phung
kim diep son danh thi ung lo tiet ong banh""".split())  # noqa: SIM905 (a word list)
# Folded middle names: a surname, one of these and a given name is a full name
# even without a title ("Lê Văn Tài", "Tran Thi Mai").
MIDDLES = frozenset("""van thi minh quang huu thanh ngoc duc hoang kim xuan thu hong cong
quoc tan anh tuan bao gia thien nhu my hai trung""".split())  # noqa: SIM905
# A full name right after these is a street, school, market... ("đường Nguyễn
# Văn Cừ", "Trường THPT Châu Văn Liêm"), or right before the last ones.
PLACE_BEFORE = frozenset("""duong pho hem cau cho truong thpt thcs th tieu hoc quan phuong
xa huyen ap benh vien khu lo street road school bridge market ward district""".split())  # noqa: SIM905
PLACE_AFTER = {"street", "road", "avenue", "boulevard", "high", "primary", "secondary",
               "school", "bridge", "market", "ward", "district", "hospital"}

MAX_NAME = 4
# Words that may open a person: a title's first word or a family name.
TITLE_FIRST = frozenset(t[0] for t in TITLES)
STARTS = TITLE_FIRST | SURNAMES


def _is_name(token: str) -> bool:
    """A capitalised word: upper-case first letter, lower-case rest, letters only."""
    return token[:1].isupper() and token.isalpha() and (len(token) == 1 or token[1:].islower())


def person_id(name: str) -> str:
    """``person.<folded syllables joined by _>``: the same for every spelling."""
    return "person." + "_".join(fold(name).lower().split())


def person_name(entity_id: str) -> str | None:
    """A display name for a ``person.*`` id when no text is at hand:
    ``person.nguyen_van_hoa`` → "Nguyen Van Hoa" (diacritics are not in the id)."""
    if not entity_id.startswith("person."):
        return None
    return " ".join(w.capitalize() for w in entity_id[len("person."):].split("_")) or None


def find_persons(doc: Doc) -> list[Span]:
    """PERSON spans not overlapping ``doc.ents``, each with ``id_`` its
    ``person_id``: a name after a title (the title is not part of the span),
    or a full name (surname, middle name, given name) on its own.  ``doc``
    comes from the gazetteer's tokenizer (``NORM`` is the folded word)."""
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    # The gazetteer's tokenizer gives each word its folded form as NORM (one
    # per distinct word, cached); folding every token here cost milliseconds.
    norms = [t.norm_ for t in doc]
    n = len(doc)

    def run_end(start: int) -> int:
        """The end of the capitalised words from ``start`` (not into an entity)."""
        end = start
        while end < n and _is_name(doc[end].text) and end not in taken:
            end += 1
        return end

    def name_end(start: int) -> int:
        """``run_end``, or ``start`` when the run is longer than a name: a
        Title Case headline ("Giá Lúa Tăng Mạnh Trong Tuần Qua")."""
        end = run_end(start)
        return end if end - start <= MAX_NAME else start

    def after_capital(k: int) -> bool:
        """Whether the word before ``k`` (across commas and dashes) is
        capitalised: ``k`` is inside a Title Case run, a headline."""
        k -= 1
        while k >= 0 and doc[k].text in (",", ";", "-", "–"):
            k -= 1
        return k >= 0 and _is_name(doc[k].text)

    out: list[Span] = []
    i = 0
    while i < n:
        if norms[i] not in STARTS:  # most words: one set lookup
            i += 1
            continue
        start = end = i
        title = next((size for size in range(min(LONGEST_TITLE, n - i), 0, -1)
                      if tuple(norms[i:i + size]) in TITLES), 0) \
            if norms[i] in TITLE_FIRST else 0
        if title:
            start = i + title + (i + title < n and doc[i + title].text == ".")  # Mr. Dr.
            end = name_end(start)
            if doc[i].text[:1].isupper() and norms[i] not in ENGLISH_TITLES and (
                    after_capital(i) or not (end - start >= 2 and norms[start] in SURNAMES)):
                end = start  # "Bà Rịa", "Ông Lãnh": places; or inside a headline
        elif norms[i] in SURNAMES and i not in taken and _is_name(doc[i].text):
            end = name_end(i)
            full = (end - i >= 3 and norms[i + 1] in MIDDLES) or end - i == MAX_NAME
            before = {norms[k] for k in range(max(0, i - 2), i)}
            if not full or after_capital(i) or before & PLACE_BEFORE or (
                    end < n and norms[end] in PLACE_AFTER):
                i = max(run_end(i), i + 1)  # none of this run starts a name
                continue
        if end > start:
            span = Span(doc, start, end, label="PERSON")
            span.id_ = person_id(span.text)
            out.append(span)
            i = end
        else:
            i += max(title, 1)
    return out
