"""Finding the same person twice: on the rolls of two kitchens, or twice on one.

Method (explained for the closing note):

1. *Normalise* names: accents and case folded away (`lib.text.fold`), punctuation dropped.
2. *Block*: a record is only compared with records that share a key, so 800,000 people need a
   few million comparisons, not 3·10¹¹. The keys are: the DNI; the birth date, day and month in
   either order, with the first three letters of either surname (survives a typo in one
   surname, swapped surnames, a surname written as its initial, 4/8 written 8/4); and, with a
   name key — the set of the surnames' first letters and the first given initial — each half of
   the DNI (survives one mistyped digit, or two neighbours swapped, when the birth date cannot
   help), the birth year-month (survives a wrong birth day), and the district (survives a
   missing birth date: only pairs where one is missing are taken from it).
3. *Compare* with rapidfuzz: surnames straight and swapped, a surname written as its initial
   ("Cusi" / "C.") agreeing with any of that letter; given names token by token so that initials
   ("M. Elena") and compound names ("María Elena" / "Elena") still match, while a name more
   than a slip away from all of the other's ("Silvia Lidia" / "Silvia María": sisters, twins)
   sinks the given-name score.
4. *Decide* with rules a coordinator can read (`classify`): the same DNI is the same person; a DNI one typo
   away (one digit changed or two neighbours swapped) with similar names is a likely typo; with
   no DNI to settle it, similar names with the same birth date, or very similar names written
   as completely on both sides with a birth date a few days off (or day and month swapped) or
   the same district, are a probable match. Two different valid DNIs are two people, however
   alike the names; relatives with the same names are told apart by the birth year (a mother
   and the daughter named after her).

How it runs at national scale (`find_pairs`; 800,000 people in about 6 s on two cores, where a
dictionary of blocks and a Python loop over every pair took two minutes): the records become
integer columns (numpy) — surname prefixes, the pair of prefixes, initials, districts and DNIs
coded as small integers, birth dates as day numbers. Each blocking is one sort of integer keys;
the pairs inside its blocks come from index arithmetic, and the pairs of all blockings are
deduplicated as one integer each (`i · n + j`). The rules of step 4 that need no names are then
applied to all candidate pairs at once (same DNI; two DNIs that are not one typo apart; birth
dates neither equal nor near; no birth date and another district), then the surname score, in
rapidfuzz's C loop over the pairs (`process.cpdist`): below 76 the weighted name score cannot
reach the threshold. Only the few thousand pairs left, mostly true duplicates, go through
`classify` itself, so every decision is still the readable one; a test checks the result equals
the pair-by-pair definition.
"""

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

from ayni.lib.text import fold

SAME_DNI, DNI_TYPO, NAMES = "same_dni", "dni_typo", "names"
NAME_THRESHOLD = 86  # same birth date, or a DNI one typo away
STRICT_THRESHOLD = 92  # birth date a little off, or only the district in common
MAX_BLOCK = 250  # a block larger than this is a common name in a big place: compared by a tighter key

_PUNCT = re.compile(r"[^a-z ]+")


@dataclass(slots=True)
class Record:
    pk: int
    given: str
    paternal: str
    maternal: str
    birth: datetime.date | None
    dni: str
    district: str


def norm(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", fold(text)).split())


def make_record(pk, given, paternal, maternal, birth, dni, district) -> Record:
    return Record(pk, norm(given), norm(paternal), norm(maternal), birth, dni or "", district or "")


def _ratio(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return Levenshtein.normalized_similarity(a, b) * 100


def _token(a: str, b: str) -> float:
    if a == b:
        return 100.0
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return 92.0  # an initial
    return _ratio(a, b)


def _one_typo_apart(a: str, b: str) -> bool:
    """The same name written with a slip: an initial, or at most one edit (two in a long name)."""
    if a == b or ((len(a) == 1 or len(b) == 1) and a[0] == b[0]):
        return True
    return Levenshtein.distance(a, b) <= (1 if max(len(a), len(b)) <= 7 else 2)


GIVEN_CONFLICT = 60.0  # with identical surnames, 0.6 · 100 + 0.4 · 60 = 84: below NAME_THRESHOLD


def given_score(a: str, b: str) -> float:
    """Given names: typos, initials and compound names ("maria elena" / "elena").

    A name of the shorter list that is more than a slip away from every name of the other
    ("silvia lidia" / "silvia maria", "delia" / "nelida") is another person's name: a sister's,
    a twin's. Then the score is at most GIVEN_CONFLICT, what no given name at all would get,
    so that identical surnames and birth date (twins) or a DNI one digit off (twins' DNIs are
    issued one after the other) cannot make them one person."""
    if not a or not b:
        return 60.0
    ta, tb = a.split(), b.split()
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    aligned = sum(max(_token(t, u) for u in long_) for t in short) / len(short)
    aligned -= 4 * (len(long_) - len(short))
    joined_a, joined_b = a.replace(" ", ""), b.replace(" ", "")
    score = max(aligned, _ratio(joined_a, joined_b))
    # With as many names on each side, each side's are looked for in the other's: "jesus jesus"
    # does not cover "jesus luis". A longer list's extra names are a dropped name, not a conflict.
    sides = ((short, long_),) if len(short) < len(long_) else ((ta, tb), (tb, ta))
    covered = all(any(_one_typo_apart(t, u) for u in other) for mine, other in sides for t in mine)
    if not covered and not _one_typo_apart(joined_a, joined_b):
        return min(score, GIVEN_CONFLICT)
    return score


INITIAL_SURNAME = 90.0  # "cusi" written "c.": likely the same, weaker than the whole name


def _surname_ratio(a: str, b: str) -> float:
    """One surname against another; a surname written as its initial agrees with any of that letter."""
    if (len(a) == 1 or len(b) == 1) and a and b:
        return INITIAL_SURNAME if a[0] == b[0] else 0.0
    return _ratio(a, b)


def surname_score(a: Record, b: Record) -> float:
    """Both surnames, straight or swapped, either possibly an initial; a missing maternal surname
    is neither for nor against, but a lone surname is taken as the paternal one: matched with the
    other's maternal ("maria mamani" / "maria quispe mamani", a mother and her daughter), it
    counts less."""
    r = _surname_ratio
    if a.maternal and b.maternal:
        straight = (r(a.paternal, b.paternal) + r(a.maternal, b.maternal)) / 2
        swapped = (r(a.paternal, b.maternal) + r(a.maternal, b.paternal)) / 2
        return max(straight, swapped - 1)
    return max(r(a.paternal, b.paternal), max(r(a.paternal, b.maternal), r(a.maternal, b.paternal)) - 8) - 3


def name_score(a: Record, b: Record) -> float:
    return 0.6 * surname_score(a, b) + 0.4 * given_score(a.given, b.given)


def dni_one_typo(a: str, b: str) -> bool:
    """One digit changed, or two neighbouring digits swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _birth_near(a: datetime.date, b: datetime.date) -> bool:
    """A wrong day, or day and month swapped when writing it down."""
    if a.year == b.year and a.month == b.month:
        return True
    return a.year == b.year and a.day == b.month and a.month == b.day


def classify(a: Record, b: Record) -> tuple[str, float, str] | None:
    """(kind, score 0–100, reason in Spanish) when a and b look like one person; None otherwise."""
    if a.dni and b.dni:
        if a.dni == b.dni:
            return SAME_DNI, 100.0, "mismo DNI"
        if dni_one_typo(a.dni, b.dni):
            score = name_score(a, b)
            if score >= NAME_THRESHOLD:
                return DNI_TYPO, score, "DNI con un dígito distinto o dos dígitos invertidos, y nombres parecidos"
        return None  # two different DNIs are two people
    score = name_score(a, b)
    if score < NAME_THRESHOLD:
        return None
    if a.birth and b.birth:
        if a.birth == b.birth:
            return NAMES, score, "nombres parecidos y la misma fecha de nacimiento"
        if score >= STRICT_THRESHOLD and _birth_near(a.birth, b.birth) and _equally_complete(a, b):
            return NAMES, score - 2, "nombres muy parecidos y fecha de nacimiento casi igual"
        return None
    if score >= STRICT_THRESHOLD and a.district and a.district == b.district and _equally_complete(a, b):
        return NAMES, score - 4, "nombres muy parecidos en el mismo distrito (sin fecha de nacimiento)"
    return None


def _equally_complete(a: Record, b: Record) -> bool:
    """As many given names on both sides, and the maternal surname on both or neither. A birth
    date only close, or only the district, is weak evidence: with a name written shorter on one
    side ("Aurelio" / "Aurelio Manuel", "Olga Castro" / "Olga Castro Condori") it pairs namesakes
    more often than it finds the same person."""
    return len(a.given.split()) == len(b.given.split()) and bool(a.maternal) == bool(b.maternal)


def _prefix(text: str) -> str:
    return text[:3]


def block_keys(r: Record) -> Iterator[tuple]:
    """The blocking keys of one record, readably; `find_pairs` computes the same keys as integers.
    Two records sharing a key are compared, except in a district block ("n"), which is there
    for missing birth dates: two records that both have one are compared by the birth keys."""
    if r.dni:
        yield ("d", r.dni)
    surnames = sorted({_prefix(r.paternal), _prefix(r.maternal)} - {""})
    letters = "|".join(sorted({r.paternal[:1], r.maternal[:1]} - {""}))
    initial = r.given[:1]
    if len(r.dni) == 8 and r.dni.isdigit():
        # One digit wrong leaves one half of the DNI as it was (and a swap of two neighbours
        # does, unless they straddle the middle): with the name's letters, a DNI typo is
        # compared even when the birth date is missing or far off.
        yield ("h", 0, r.dni[:4], letters, initial)
        yield ("h", 1, r.dni[4:], letters, initial)
    if r.birth:
        day_month = sorted((r.birth.day, r.birth.month))  # 4 August and 8 April meet
        for s in surnames:
            yield ("b", r.birth.year, *day_month, s)
        yield ("m", r.birth.year, r.birth.month, letters, initial)
    if r.district:
        yield ("n", r.district, letters, initial)


def _codes(values: list, first=None) -> tuple[np.ndarray, int]:
    """Each distinct value as a small integer (`first`, when given, is 0), and how many there are."""
    ids: dict = {} if first is None else {first: 0}
    codes = np.fromiter((ids.setdefault(v, len(ids)) for v in values), dtype=np.int64, count=len(values))
    return codes, len(ids)


def _columns(records: list[Record]) -> dict[str, np.ndarray]:
    """The records as integer columns: what blocking and the vectorised checks need. Built a
    column at a time: a Python loop writing numpy cells one by one is the slow way."""
    n = len(records)
    prefixes, n_prefix = _codes([r.paternal[:3] for r in records] + [r.maternal[:3] for r in records], first="")
    p1, p2 = prefixes[:n], prefixes[n:]
    firsts, n_letter = _codes([r.paternal[:1] for r in records] + [r.maternal[:1] for r in records], first="")
    l1, l2 = firsts[:n], firsts[n:]
    # The surnames' first letters as a set without the empty one, like `block_keys`'s
    # "|".join(sorted({paternal[:1], maternal[:1]} - {""})): codes stand for letters one to one.
    x, y = np.where(l1 > 0, l1, l2), np.where(l2 > 0, l2, l1)
    letters = np.minimum(x, y) * n_letter + np.maximum(x, y)
    births = [r.birth for r in records]
    birth = np.fromiter((b.toordinal() if b else 0 for b in births), dtype=np.int64, count=n)
    year = np.fromiter((b.year if b else 0 for b in births), dtype=np.int64, count=n)
    month = np.fromiter((b.month if b else 0 for b in births), dtype=np.int64, count=n)
    day = np.fromiter((b.day if b else 0 for b in births), dtype=np.int64, count=n)
    dnis = [r.dni for r in records]
    dni, _n = _codes(dnis, first="")
    shaped = [len(d) == 8 and d.isdigit() for d in dnis]
    digits = (np.frombuffer(b"".join(d.encode() if ok else b"\xff" * 8 for d, ok in zip(dnis, shaped, strict=True)),
                            dtype=np.uint8).reshape(n, 8).astype(np.int8) - 48)
    digits[~np.array(shaped, dtype=bool)] = -1  # not a DNI's shape: the typo check is left to `classify`
    district, n_district = _codes([r.district for r in records], first="")
    initial = np.fromiter((ord(r.given[0]) % 4096 if r.given else 0 for r in records), dtype=np.int64, count=n)
    day_month = year * 1024 + np.minimum(day, month) * 32 + np.maximum(day, month)
    return {"p1": p1, "p2": p2, "letters": letters, "initial": initial, "birth": birth, "ym": year * 13 + month,
            "day_month": day_month, "year": year, "month": month, "day": day, "district": district, "dni": dni,
            "digits": digits, "sizes": np.array([n_prefix, n_letter * n_letter, n_district], dtype=np.int64)}


def _pairs_in_blocks(keys: np.ndarray, rows: np.ndarray, max_block: int | None,
                     needs: np.ndarray | None = None) -> np.ndarray:
    """Every pair of rows sharing a key, as an (m, 2) array; with `needs` (a mask over all
    rows), only the pairs with at least one such row."""
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    if len(keys) < 2:
        return np.empty((0, 2), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    out = []
    for size in np.unique(sizes):
        if size < 2 or (max_block is not None and size > max_block):
            continue
        first = starts[sizes == size]
        left, right = np.triu_indices(size, 1)
        pairs = np.stack([rows[(first[:, None] + left).ravel()], rows[(first[:, None] + right).ravel()]], axis=1)
        if needs is not None:
            pairs = pairs[needs[pairs[:, 0]] | needs[pairs[:, 1]]]
        out.append(pairs)
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def candidate_pairs(cols: dict[str, np.ndarray]) -> np.ndarray:
    """The pairs of rows sharing at least one blocking key, each once: an (m, 2) array, i < j."""
    n = len(cols["p1"])
    idx = np.arange(n, dtype=np.int64)
    n_prefix, n_letters, _n_district = (int(x) for x in cols["sizes"])
    has_birth = cols["birth"] > 0
    found = []
    has_dni = cols["dni"] > 0
    found.append(_pairs_in_blocks(cols["dni"][has_dni], idx[has_dni], None))
    # The birth date (day and month in either order) with either surname's first three letters.
    for column, extra in (("p1", None), ("p2", cols["p2"] != cols["p1"])):
        mask = has_birth & (cols[column] > 0)
        if extra is not None:
            mask &= extra
        found.append((cols["day_month"][mask] * n_prefix + cols[column][mask], idx[mask]))
    # Two keys of one kind go into one sort, so that a pair sharing both is found once here.
    keys = np.concatenate([k for k, _r in found[1:]])
    rows = np.concatenate([r for _k, r in found[1:]])
    found = [found[0], _pairs_in_blocks(keys, rows, MAX_BLOCK)]
    # The name key: the set of the surnames' first letters and the first given initial.
    name_key = cols["letters"] * 4096 + cols["initial"]
    # Each half of the DNI with the name key (as `block_keys`'s "h" keys).
    digits = cols["digits"]
    shaped = digits[:, 0] >= 0
    place = np.array([1000, 100, 10, 1], dtype=np.int64)
    halves = [((digits[shaped, :4].astype(np.int64) @ place) * n_letters * 4096 + name_key[shaped]),
              ((10_000 + digits[shaped, 4:].astype(np.int64) @ place) * n_letters * 4096 + name_key[shaped])]
    found.append(_pairs_in_blocks(np.concatenate(halves), np.concatenate([idx[shaped], idx[shaped]]), MAX_BLOCK))
    # The birth month with the name key; the district with the same, for a record without a birth date.
    found.append(_pairs_in_blocks((cols["ym"] * n_letters * 4096 + name_key)[has_birth], idx[has_birth],
                                  MAX_BLOCK))
    in_district = cols["district"] > 0
    found.append(_pairs_in_blocks((cols["district"] * n_letters * 4096 + name_key)[in_district], idx[in_district],
                                  MAX_BLOCK, needs=~has_birth))
    pairs = np.concatenate(found)
    if not len(pairs):
        return pairs
    code = np.unique(np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1]))
    return np.stack([code // n, code % n], axis=1)


def _dni_one_typo(da: np.ndarray, db: np.ndarray) -> np.ndarray:
    """`dni_one_typo` over arrays of 8-digit rows."""
    diff = da != db
    count = diff.sum(axis=1)
    first = diff.argmax(axis=1)
    second = np.minimum(first + 1, 7)
    rows = np.arange(len(da))
    swapped = ((second == first + 1) & diff[rows, second]
               & (da[rows, first] == db[rows, second]) & (da[rows, second] == db[rows, first]))
    return (count == 1) | ((count == 2) & swapped)


def _surname_scores(records: list[Record], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`surname_score` for many pairs at once (rapidfuzz's C loop over the pairs)."""
    def column(idx, name):
        return [getattr(records[i], name) for i in idx]

    pa, ma, pb, mb = column(a, "paternal"), column(a, "maternal"), column(b, "paternal"), column(b, "maternal")

    def ratio(x, y):
        """`_surname_ratio` over two columns."""
        out = cpdist(x, y, scorer=Levenshtein.normalized_similarity, workers=-1) * 100
        empty = np.array([not u or not v for u, v in zip(x, y, strict=True)], dtype=bool)
        out[empty] = 0.0
        initial = np.array([(len(u) == 1 or len(v) == 1) and bool(u and v) for u, v in zip(x, y, strict=True)],
                           dtype=bool)
        if initial.any():
            agree = np.array([u[:1] == v[:1] for u, v in zip(x, y, strict=True)], dtype=bool)
            out[initial] = np.where(agree[initial], INITIAL_SURNAME, 0.0)
        return out

    pp, mm, pm, mp = ratio(pa, pb), ratio(ma, mb), ratio(pa, mb), ratio(ma, pb)
    both = np.array([bool(u and v) for u, v in zip(ma, mb, strict=True)], dtype=bool)
    with_both = np.maximum((pp + mm) / 2, (pm + mp) / 2 - 1)
    one_missing = np.maximum(pp, np.maximum(pm, mp) - 8) - 3
    return np.where(both, with_both, one_missing)


def find_pairs(records: Iterable[Record], skip: set[tuple[int, int]] | None = None,
               ) -> list[tuple[int, int, str, float, str]]:
    """Every pair (pk_a < pk_b, kind, score, reason) among `records`, compared within blocks.

    The records become integer columns (numpy); each blocking is one sort, its blocks' pairs
    come from index arithmetic, and the pairs of all blockings are deduplicated as one integer
    each. The rules of `classify` that need no names are then applied to every pair at once
    (the same DNI; two different DNIs that are not one typo apart; birth dates that are neither
    equal nor near; no birth date and another district), and so is a bound on the surnames:
    `name_score` cannot reach the threshold when the surnames score below 76. Only the few pairs
    left — mostly true duplicates — go through `classify` itself, so the decision is exactly
    the readable one above."""
    records = records if isinstance(records, list) else list(records)
    if len(records) < 2:
        return []
    cols = _columns(records)
    pairs = candidate_pairs(cols)
    a, b = pairs[:, 0], pairs[:, 1]
    dni_a, dni_b = cols["dni"][a], cols["dni"][b]
    both_dni = (dni_a > 0) & (dni_b > 0)
    same_dni = both_dni & (dni_a == dni_b)
    digits_a, digits_b = cols["digits"][a], cols["digits"][b]
    shaped = (digits_a[:, 0] >= 0) & (digits_b[:, 0] >= 0)
    typo = both_dni & ~same_dni & (~shaped | _dni_one_typo(digits_a, digits_b))
    birth_a, birth_b = cols["birth"][a], cols["birth"][b]
    both_birth = (birth_a > 0) & (birth_b > 0)
    ya, yb = cols["year"][a], cols["year"][b]
    ma_, mb_ = cols["month"][a], cols["month"][b]
    da, db = cols["day"][a], cols["day"][b]
    near = (ya == yb) & (((ma_ == mb_)) | ((da == mb_) & (ma_ == db)))
    same_place = (cols["district"][a] > 0) & (cols["district"][a] == cols["district"][b])
    by_names = ~both_dni & np.where(both_birth, near, same_place)
    maybe = np.flatnonzero(typo | by_names)
    if len(maybe):
        surnames = _surname_scores(records, a[maybe], b[maybe])
        maybe = maybe[surnames >= 76.0]  # 0.6 · 76 + 0.4 · 100 < 86: below it no given name can help
    skip = skip or set()
    found = []
    for k in np.concatenate([np.flatnonzero(same_dni), maybe]).tolist():
        ra, rb = records[a[k]], records[b[k]]
        if ra.pk == rb.pk:
            continue
        pk_a, pk_b = (ra.pk, rb.pk) if ra.pk < rb.pk else (rb.pk, ra.pk)
        if (pk_a, pk_b) in skip:
            continue
        result = classify(ra, rb)
        if result:
            found.append((pk_a, pk_b, *result))
    return found
