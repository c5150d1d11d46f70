"""Literal prefilter: which events a converted rule could possibly match.

From a rule's detection, as the backend converted it (after our pipelines and
Sigma's modifiers changed fields and values), we derive a necessary condition
in conjunctive form: a few *clauses*, each a set of lowercase literal strings
of which at least one must occur in the event's values for the rule to match.

* ``a and b``: the clauses of both sides; ``a or b``: one clause, the union of
  each side's best clause (no clause on one side: none at all);
  ``not a``: nothing (the negative side never makes an event a candidate).
* A string value gives its longest plain piece between wildcards and
  placeholders (``contains``/``startswith``/``endswith`` only add wildcards);
  an expansion (``windash``, ``base64offset``) the union of its strings.
  Regular expressions, numbers, null, ``exists``, CIDR, field references,
  and ASCII pieces shorter than ``MIN_LITERAL`` give nothing (a single emoji
  or Cyrillic letter is selective enough).
* Conditions our pipelines add for the log source (detections named
  ``_cond_…``) give nothing: the executor's log-source groups handle them.

Matching is case-insensitive by ASCII case only, as SQLite's ``LIKE`` and
``COLLATE NOCASE`` are (``cased`` values are stricter still), so a literal
found in none of an event's lowercased values proves the rule cannot match it.
The executor scans each distinct value once with an Aho-Corasick automaton
(``pyahocorasick``) over every literal of every rule; without the package
every rule is run on every event, as before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionIdentifier,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    SigmaExpansion,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
)

try:  # the standard library's own regular-expression parser (private, stable since 3.11)
    from re import _constants as _re_op
    from re import _parser as _re_parser
except ImportError:  # pragma: no cover - another Python: regexes give no literal
    _re_parser = _re_op = None

try:  # optional: without it, no prefilter (every rule runs on every event)
    import ahocorasick
except ImportError:  # pragma: no cover - depends on the environment
    ahocorasick = None

MIN_LITERAL = 3  # shorter pieces occur almost everywhere: not worth a clause
MAX_CLAUSES = 3  # per rule, the most selective ones
_ADDED = "_cond_"  # pySigma's AddConditionTransformation names its detections so
_UPPER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}

Clause = frozenset[str]
_second = itemgetter(1)


def ascii_lower(text: str) -> str:
    """Lowercase ASCII letters only (SQLite's ``NOCASE``/``LIKE`` folding)."""
    return text.lower() if text.isascii() else text.translate(_UPPER)


def _cost(clause: Clause) -> float:
    """Rough chance of a clause being met: more and shorter literals, higher."""
    return sum(1.0 / len(lit) ** 2 for lit in clause)


def _best(clauses: list[Clause]) -> Clause:
    return min(clauses, key=_cost)


def _value_literals(value: Any) -> Clause | None:
    """The literals one of which a matching value must contain, None: unknown."""
    if isinstance(value, SigmaExpansion):
        out: set[str] = set()
        for v in value.values:
            lits = _value_literals(v)
            if lits is None:
                return None
            out |= lits
        return frozenset(out)
    if isinstance(value, SigmaString):
        pieces, cur = [], []
        for part in value.s:
            if isinstance(part, str):
                cur.append(part)
            else:  # wildcard or placeholder: a break in the literal text
                pieces.append("".join(cur))
                cur = []
        pieces.append("".join(cur))
        longest = max(pieces, key=len)
        if len(longest) < MIN_LITERAL and longest.isascii():  # a non-ASCII one is rare
            return None
        return frozenset({ascii_lower(longest)})
    return None


# Under IGNORECASE, Python's ``re`` matches these ASCII letters with non-ASCII
# ones too (``ı``/``İ``, ``K`` Kelvin, ``ſ`` long s), which ASCII folding
# cannot see: a case-insensitive literal is cut at them.
_FOLDS_BEYOND_ASCII = frozenset("iks")


def regex_clauses(value: SigmaRegularExpression) -> list[Clause]:
    """The literals a regular expression's every match contains: the runs of
    plain characters its top-level sequence requires (inside groups and
    repeats of at least one; an alternation gives one clause, the union of
    each branch's best).  Case-insensitive expressions keep only ASCII runs,
    cut at the letters ``re`` folds beyond ASCII.  [] when none is known.

    Why by hand: no library lists the literals a Python regex requires; the
    standard library's parser gives the structure to read them from."""
    if _re_parser is None:
        return []
    try:
        if value.regexp.contains_placeholder():
            return []
        pattern = value.regexp.to_plain()
        parsed = _re_parser.parse(pattern)
    except Exception:  # not a Python regex (another dialect): no knowledge
        return []
    icase = (SigmaRegularExpressionFlag.IGNORECASE in (value.flags or ())
             or bool(parsed.state.flags & re.IGNORECASE) or "(?i" in pattern)
    found: list[Clause] = []
    for run in _required(parsed, found, icase):
        _add_run(run, icase, found)
    out: list[Clause] = []
    for c in found:
        if c not in out:
            out.append(c)
    return out


def _add_run(run: str, icase: bool, found: list[Clause]) -> None:
    pieces = [run]
    if icase:
        pieces = re.split(r"[iksIKS]|[^\x00-\x7f]", run)
    for piece in pieces:
        if len(piece) >= MIN_LITERAL or (not icase and piece and not piece.isascii()):
            found.append(frozenset({ascii_lower(piece)}))


def _required(seq: Any, found: list[Clause], icase: bool) -> list[str]:
    """Runs of literal characters every match of ``seq`` contains; clauses of
    required alternations are appended to ``found``."""
    c = _re_op
    runs: list[str] = []
    cur: list[str] = []

    def cut() -> None:
        if cur:
            runs.append("".join(cur))
            cur.clear()

    for op, arg in seq:
        if op is c.LITERAL:
            cur.append(chr(arg))
            continue
        cut()
        if op is c.SUBPATTERN:
            runs.extend(_required(arg[-1], found, icase))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and arg[0] >= 1:
            runs.extend(_required(arg[2], found, icase))
        elif op is c.ATOMIC_GROUP:
            runs.extend(_required(arg, found, icase))
        elif op is c.BRANCH:
            union: set[str] = set()
            for alt in arg[1]:
                sub: list[Clause] = []
                for run in _required(alt, sub, icase):
                    _add_run(run, icase, sub)
                if not sub:
                    union = set()
                    break
                union |= _best(sub)
            if union:
                found.append(frozenset(union))
    cut()
    return runs


def _added_by_pipeline(node: Any) -> bool:
    """Whether a leaf comes from a detection our pipelines added."""
    seen = 0
    while node is not None and seen < 64:
        if isinstance(node, ConditionIdentifier):
            return node.identifier.startswith(_ADDED)
        node = getattr(node, "parent", None)
        seen += 1
    return False


def _clauses(node: Any) -> list[Clause]:
    """The necessary clauses of a condition tree node ([]: none known)."""
    if isinstance(node, ConditionAND):
        out: list[Clause] = []
        for arg in node.args:
            out.extend(c for c in _clauses(arg) if c not in out)
        return out
    if isinstance(node, ConditionOR):
        union: set[str] = set()
        for arg in node.args:
            sub = _clauses(arg)
            if not sub:
                return []
            union |= _best(sub)
        return [frozenset(union)]
    if isinstance(node, ConditionFieldEqualsValueExpression | ConditionValueExpression):
        if _added_by_pipeline(node):
            return []
        if isinstance(node.value, SigmaRegularExpression):
            return regex_clauses(node.value)
        lits = _value_literals(node.value)
        return [lits] if lits else []
    return []  # NOT, anything unknown: no knowledge


def rule_clauses(rule: Any) -> tuple[tuple[str, ...], ...]:
    """The clauses of a converted rule (the copy the backend converted, its
    pipelines applied); () when the rule must be run on every event."""
    try:
        conds = [c.parsed for c in rule.detection.parsed_condition]
    except Exception:  # a condition we cannot read: no prefilter
        return ()
    per_cond = [_clauses(c) for c in conds]
    if len(per_cond) == 1:
        found = per_cond[0]
    elif per_cond and all(per_cond):  # several conditions are ORed
        found = [frozenset().union(*(_best(c) for c in per_cond))]
    else:
        found = []
    if not found:
        return ()
    found.sort(key=_cost)
    return tuple(tuple(sorted(c)) for c in found[:MAX_CLAUSES])


class LiteralMatcher:
    """Finds, per event, the rules whose every clause has a literal in one of
    the event's values.

    Each value is scanned once with the automaton and its literals remembered
    (field values repeat across events: the same images, parents, channels,
    users), and the rules an event's set of literals admits are remembered per
    set too (events that differ only in ids and times share it), so a batch
    costs a few dictionary lookups per event once its values have been seen.
    Literals never span two values: a rule's literal must occur inside one
    value for a rule to match it.

    Each rule is indexed by one clause only (its anchor); the few rules an
    event's literals anchor then have their other clauses checked against the
    literals found, instead of counting every clause hit.  The anchor starts as
    the clause that looks most selective and moves, after each batch
    (``reanchor``), to the one whose literals were seen in the fewest events.
    """

    MAX_REMEMBERED = 200_000  # values (and literal sets) kept before starting afresh

    def __init__(self, rules: Iterable[tuple[int, tuple[tuple[str, ...], ...]]]) -> None:
        """``rules``: (rule index, clauses, most selective first) to prefilter."""
        if ahocorasick is None:
            raise RuntimeError("pyahocorasick is not installed")
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        ids: dict[str, int] = {}
        self.clauses: dict[int, list[frozenset[int]]] = {}
        for idx, clauses in rules:
            self.clauses[idx] = [frozenset(ids.setdefault(lit, len(ids)) for lit in c)
                                 for c in clauses]
        self.count = max(self.clauses, default=-1) + 1
        self.seen: Counter[int] = Counter()  # literal -> events it was found in
        self._sets: Counter[frozenset[int]] = Counter()  # literal sets of events since reanchor
        self._of_value: dict[str, frozenset[int]] = {}
        self._of_set: dict[frozenset[int], frozenset[int]] = {}
        for lit, i in ids.items():
            self.automaton.add_word(lit, i)
        self.empty = not ids
        if not self.empty:
            self.automaton.make_automaton()
        self.anchors: dict[int, list[int]] = {}  # literal -> rules it anchors
        self.rest: dict[int, list[frozenset[int]]] = {}
        self._anchor: dict[int, int] = {}
        self._events = 0  # events counted in ``seen``
        self._anchored_at = 0  # ... when the anchors were last chosen
        self._index({idx: 0 for idx in self.clauses})

    def _index(self, anchor: dict[int, int]) -> None:
        self._anchor = anchor
        anchors: dict[int, list[int]] = {}
        self.rest = {}
        for idx, clauses in self.clauses.items():
            for lid in clauses[anchor[idx]]:
                anchors.setdefault(lid, []).append(idx)
            if len(clauses) > 1:
                self.rest[idx] = [c for i, c in enumerate(clauses) if i != anchor[idx]]
        self.anchors = anchors

    def reanchor(self) -> None:
        """Anchor each rule on its clause seen in the fewest events so far.

        Re-indexing every rule costs tens of milliseconds, so it is done when
        the events counted have doubled since the last time (after the first
        batch, then ever more rarely) and only when some anchor moved."""
        seen = self.seen
        for found, events in self._sets.items():
            for lid in found:
                seen[lid] += events
            self._events += events
        self._sets.clear()
        if self._events < 2 * self._anchored_at:
            return
        self._anchored_at = max(self._events, 1)
        anchor = {idx: min(range(len(cl)), key=lambda i, cl=cl: sum(seen[x] for x in cl[i]))
                  for idx, cl in self.clauses.items()}
        if anchor != self._anchor:
            self._index(anchor)

    def literals(self, value: str) -> frozenset[int]:
        """The literals found in one value (ASCII-lowercased here), remembered."""
        found = self._of_value.get(value)
        if found is None:
            if len(self._of_value) >= self.MAX_REMEMBERED:
                self._of_value.clear()
            found = frozenset(map(_second, self.automaton.iter(ascii_lower(value))))
            self._of_value[value] = found
        return found

    def candidates(self, values: Iterable[str]) -> frozenset[int]:
        """Rule indexes whose clauses are all met by an event's ``values``."""
        if self.empty:
            return frozenset()
        literals = self.literals
        found = frozenset().union(*map(literals, values))
        self._sets[found] += 1
        out = self._of_set.get(found)
        if out is None:
            if len(self._of_set) >= self.MAX_REMEMBERED:
                self._of_set.clear()
            out = self._of_set[found] = self._admit(found)
        return out

    def _admit(self, found: frozenset[int]) -> frozenset[int]:
        """The rules a set of literals admits: anchored by one of them, and
        every other clause met.  (The anchor decides only the work done here,
        not the answer, so answers stay valid across ``reanchor``.)"""
        out: set[int] = set()
        anchors = self.anchors
        for lid in found:
            rules = anchors.get(lid)
            if rules:
                out.update(rules)
        rest = self.rest
        return frozenset(r for r in out
                         if r not in rest or all(not found.isdisjoint(c) for c in rest[r]))
