"""Duplicate search over a national-size roll, with labelled duplicates, and on a held-out set.

Generates (from `--seed`) a synthetic roll of PEOPLE people (Peruvian names, DNIs with most
people, birth dates, districts, a few birth dates left blank), with 3% look-alike relatives who
are NOT duplicates (a sister or brother, a twin with the next DNI and another given name, a
daughter named after her mother, a namesake born in another year), and plants about 2%
duplicates with the habits of real rolls, one or two per record — a typo in a name, the two
surnames swapped, the DNI missing, a wrong birth day, two DNI digits transposed, a second given
name dropped or written as an initial, and the field trial's misses (issue 12): the maternal
surname as an initial ("Cusi" / "C."), day and month of birth swapped, a DNI digit mistyped or
two transposed in a record whose name is also written otherwise. It runs Ayni's scope-wide
duplicate finder (`ayni.rolls.dedupe.find_pairs`: blocking on integer keys with numpy,
rapidfuzz for the surnames, readable rules for the decision) on it, as the background task
does, and prints time, peak memory (RSS), precision, recall and F1 against the labels. The
finder's rules are tuned on this set (and the unit tests).

It also runs the finder on the held-out set of `bench/support/dedupe_heldout.py` (21,000 rows,
about 1,200 true pairs; families with twins, same-name mothers and daughters, namesakes), made
by other code with other names and another mix of mistakes, which the tuning never looks at:
only its totals are printed.

    python bench/dedupe.py            # 800,000 people (+ the 21,000-row held-out set)
    python bench/dedupe.py --quick    # 50,000 people (+ the held-out set)
    python bench/dedupe.py --people 200000 --seed 7

In the same run, the same searches with splink (its DuckDB backend; a bench-only extra:
`pip install -e '.[bench]'`): exact DNI, name comparisons per name column, date of birth and
district, blocked on the DNI, the birth date with a surname prefix, and the birth month with both
surname prefixes; u by random sampling, m by expectation maximisation; pairs above a 0.9 match
probability. splink runs after both of Ayni's searches, so that the peak memory is Ayni's.
Without splink installed, or with `--no-splink`, its figures are null. The last line is
`RESULT {...}`: `search_s`, `peak_mb`, `precision`, `recall`, `f1` and `splink_*` for the own
set, the same keys ending in `_heldout` for the held-out set (`seconds` and `splink_seconds`
repeat `search_s` and `splink_s`, as before issue 12).
"""

import argparse
import datetime
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from support import dedupe_heldout as heldout  # noqa: E402

from ayni.rolls.dedupe import Record, find_pairs, make_record  # noqa: E402

SURNAMES = """Quispe Mamani Huamán Flores Condori Rojas Sánchez García Chávez Ramos Torres Vargas Mendoza Castillo
Ccori Huarcaya Apaza Cruz Gutiérrez Díaz Pérez López Rodríguez Gonzales Ramírez Espinoza Fernández Vásquez Salazar
Ticona Choque Cusi Ccahuana Layme Puma Yupanqui Huanca Ayala Cárdenas Paredes Medina Aguilar Romero Herrera Silva
Morales Ríos Núñez Castro Ortiz Cáceres Palomino Mendoza Zapata Soto Valdivia Pari Coaquira Limachi Ñahui
Carhuamaca Huaylla Tupa Chambi Quilla Villca Arias Benites Campos Cueva Delgado Escobar Farfán Gamarra Inga
Jara Lazo Luna Meza Navarro Olivera Pacheco Quiroz Reyes Salas Tello Ugarte Velásquez Yauri Zúñiga""".split()
FEMALE = """María Rosa Juana Carmen Luz Elena Ana Teodora Dionisia Felícita Margarita Julia Victoria Gloria Martha
Lucía Isabel Paulina Francisca Eulogia Nélida Yolanda Sonia Marleny Yesenia Milagros Flor Gladys Norma Silvia
Aurelia Benita Celestina Delia Epifania Gregoria Hilda Irma Jesusa Lidia Maximiliana Nieves Olga Petronila Quintina
Raquel Saturnina Teófila Ursula Valentina Wilma Zenaida Kelly Katherine Jhoselyn Shirley Mayumi Nayeli Sheyla""".split()
MALE = """José Juan Luis Carlos Jorge Pedro Miguel Víctor Julio César Manuel Alberto Raúl Fernando Ricardo Jesús
Wilber Edwin Elmer Percy Freddy Ronald Richard Jhon Kevin Brayan Anthony Jhonatan Alex Hugo Teodoro Dionisio Félix
Marcelino Aurelio Benito Celestino Daniel Eusebio Faustino Gregorio Hilario Isidro Jacinto Leoncio Máximo""".split()
DISTRICTS = [f"{d:06d}" for d in range(150101, 150144)] + [f"{d:06d}" for d in range(80101, 80109)] + \
    [f"{d:06d}" for d in range(40101, 40129)] + [f"{d:06d}" for d in range(200101, 200120)]


def person(rng: random.Random, pk: int, today: datetime.date) -> list:
    female = rng.random() < 0.62
    names = FEMALE if female else MALE
    given = rng.choice(names)
    if rng.random() < 0.45:
        given += " " + rng.choice([name for name in names if name != given])  # "Jesús Jesús" is no one's name
    age_days = rng.randint(0, 95 * 365)
    birth = today - datetime.timedelta(days=age_days)
    dni = f"{rng.randint(0, 79_999_999):08d}" if rng.random() < 0.88 else ""
    return [pk, given, rng.choice(SURNAMES), rng.choice(SURNAMES) if rng.random() < 0.95 else "", birth, dni,
            rng.choice(DISTRICTS)]


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word))
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + rng.choice("aeiourlnsc") + word[i + 1:]  # substitution
    if kind < 0.7:
        return word[:i] + word[i + 1:]  # deletion
    return word[:i] + rng.choice("aeiouhs") + word[i:]  # insertion


def other_given(rng: random.Random, given: str, names: list[str]) -> str:
    """Another given name of the same sex: a sister's or a twin's, sometimes sharing the first
    ("Juan Carlos" and "Juan José"), never one of hers alone ("Miguel" beside "Miguel Brayan")."""
    parts = given.split()
    for _try in range(20):
        other = rng.choice(names)
        if other in parts:
            continue
        if len(parts) > 1 and rng.random() < 0.4:
            return f"{parts[0]} {other}"
        return other
    return given + " " + rng.choice(names)


def relative(rng: random.Random, row: list, pk: int, today: datetime.date) -> tuple[list, str]:
    """Not a duplicate: a relative who looks like one (the finder must NOT pair her).

    A sister or brother (both surnames, the same district), a twin (the same birth date, the next
    DNI, another given name), a daughter named after her mother (the mother's paternal surname
    second, born 18-40 years later), or a namesake born in another year."""
    rel = list(row)
    rel[0] = pk
    female = rel[1].split()[0] in FEMALE
    names = FEMALE if female else MALE
    kind = rng.choice(["sibling", "twin", "daughter", "namesake"])
    birth = rel[4]
    if kind == "sibling":
        rel[1] = other_given(rng, rel[1], names)
        born = birth + datetime.timedelta(days=rng.choice([-1, 1]) * rng.randint(400, 6000))
        rel[4] = min(max(born, today - datetime.timedelta(days=95 * 365)), today)
        rel[5] = f"{rng.randint(0, 79_999_999):08d}" if rng.random() < 0.88 else ""
    elif kind == "twin":
        rel[1] = other_given(rng, rel[1], names)
        rel[5] = f"{(int(rel[5]) + 1) % 10**8:08d}" if rel[5] else ""
    elif kind == "daughter":
        rel[3] = rel[2]  # her mother's paternal surname, second
        rel[2] = rng.choice(SURNAMES)  # her father's, first
        rel[4] = min(birth + datetime.timedelta(days=rng.randint(18 * 365, 40 * 365)), today)
        rel[5] = f"{rng.randint(0, 79_999_999):08d}" if rng.random() < 0.8 else ""
    else:
        born = birth.replace(year=birth.year + rng.choice([-9, -5, -3, -2, -1, 1, 2, 4, 7]), day=min(birth.day, 28))
        rel[4] = min(born, today)
        rel[5] = f"{rng.randint(0, 79_999_999):08d}" if rng.random() < 0.88 else ""
        rel[6] = rng.choice(DISTRICTS)
    return rel, kind


def name_variation(rng: random.Random, dup: list) -> None:
    """One of the ways a name is written differently: a typo, the maternal surname as an initial,
    the second given name dropped or as an initial."""
    kind = rng.choice(["typo", "maternal_initial", "given_dropped", "given_initial"])
    parts = dup[1].split()
    if kind == "maternal_initial" and dup[3]:
        dup[3] = dup[3][0] + "."
    elif kind in ("given_dropped", "given_initial") and len(parts) > 1:
        dup[1] = parts[0] + (f" {parts[1][0]}." if kind == "given_initial" else "")
    else:
        field = rng.choice([1, 2, 3])
        if dup[field]:
            dup[field] = typo(rng, dup[field])


HABITS = ["typo", "swap", "no_dni", "birth_day", "dni_transposed", "initial",
          # the field trial's misses (issue 12): how rolls are really written
          "maternal_initial", "day_month", "dni_typo_and_name", "given_dropped"]


def corrupt(rng: random.Random, row: list, pk: int) -> tuple[list, str]:
    dup = list(row)
    dup[0] = pk
    kind = rng.choice(HABITS)
    kinds = [kind]
    if rng.random() < 0.3:  # a second habit in the same record
        # (not a second DNI mistake: two digits wrong make another person's number)
        kinds.append(rng.choice([k for k in HABITS if k not in ("no_dni", kind) and not (
            kind.startswith("dni") and k.startswith("dni"))]))
    for kind in kinds:
        if kind == "typo":
            field = rng.choice([1, 2, 3])
            if dup[field]:
                dup[field] = typo(rng, dup[field])
        elif kind == "swap" and dup[3]:
            dup[2], dup[3] = dup[3], dup[2]
        elif kind == "birth_day" and dup[4]:
            b = dup[4]
            day = rng.choice([d for d in range(1, 29) if d != b.day])
            dup[4] = b.replace(day=day)
        elif kind == "day_month" and dup[4] and dup[4].day <= 12 and dup[4].day != dup[4].month:
            dup[4] = dup[4].replace(day=dup[4].month, month=dup[4].day)
        elif kind in ("dni_transposed", "dni_typo_and_name") and dup[5]:
            d = dup[5]
            i = rng.randrange(0, 7)
            if d[i] == d[i + 1] or (kind == "dni_typo_and_name" and rng.random() < 0.5):
                dup[5] = d[:i] + str((int(d[i]) + rng.randint(1, 9)) % 10) + d[i + 1:]
            else:
                dup[5] = d[:i] + d[i + 1] + d[i] + d[i + 2:]
            if kind == "dni_typo_and_name":
                name_variation(rng, dup)
        elif kind == "initial":
            parts = dup[1].split()
            dup[1] = parts[0] + (f" {parts[1][0]}." if len(parts) > 1 and rng.random() < 0.5 else "")
        elif kind == "maternal_initial" and dup[3]:
            dup[3] = dup[3][0] + ("." if rng.random() < 0.7 else "")
        elif kind == "given_dropped":
            dup[1] = dup[1].split()[0]
    kind = kinds[0]
    if kind == "no_dni" or (not kind.startswith("dni") and rng.random() < 0.25):
        dup[5] = ""  # a kitchen that did not ask for the DNI
    if rng.random() < 0.5:
        dup[6] = rng.choice(DISTRICTS[:43])  # she eats at a kitchen of another district
    if rng.random() < 0.3:
        dup[1], dup[2], dup[3] = dup[1].upper(), dup[2].upper(), dup[3].upper()  # written in capitals
    return dup, "+".join(kinds)


RELATIVE_SHARE = 0.03  # of the people: a sister, a twin, a same-name daughter, a namesake


def generate(n: int, seed: int) -> tuple[list[Record], set[tuple[int, int]]]:
    rng = random.Random(seed)
    today = datetime.date(2026, 6, 30)
    originals = int(n / 1.02)
    n_relatives = int(originals * RELATIVE_SHARE)
    rows = [person(rng, pk, today) for pk in range(1, originals - n_relatives + 1)]
    pk = len(rows)
    for model in rng.sample(rows, n_relatives):
        pk += 1
        rows.append(relative(rng, model, pk, today)[0])
    # DNIs are unique in reality: the generator's random ones may collide; drop the clash.
    seen_dni = set()
    for row in rows:
        if rng.random() < 0.03:
            row[4] = None  # the birth date left blank
        if row[5] in seen_dni:
            row[5] = ""
        elif row[5]:
            seen_dni.add(row[5])
    truth = set()
    for original in rng.sample(rows, n - originals):
        pk += 1
        dup, _kind = corrupt(rng, original, pk)
        if dup[5] != original[5] and dup[5] in seen_dni:
            dup[5] = ""  # a DNI is unique in the registry: a typo that makes another person's is refused
        seen_dni.add(dup[5])
        rows.append(dup)
        truth.add((original[0], pk))
    rng.shuffle(rows)
    return [make_record(*row) for row in rows], truth


def run_splink(records: list[Record]) -> set[tuple[int, int]]:
    import logging

    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    table = pa.table({
        "unique_id": [r.pk for r in records],
        "given": [r.given or None for r in records],
        "paternal": [r.paternal or None for r in records],
        "maternal": [r.maternal or None for r in records],
        "birth": [r.birth.isoformat() if r.birth else None for r in records],
        "dni": [r.dni or None for r in records],
        "district": [r.district or None for r in records],
    })
    db_api = DuckDBAPI()
    df = db_api.register(table)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("dni"),
            cl.NameComparison("given"),
            cl.NameComparison("paternal"),
            cl.NameComparison("maternal"),
            cl.DateOfBirthComparison("birth", input_is_string=True),
            cl.ExactMatch("district"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dni"),
            block_on("birth", "substr(paternal, 1, 3)"),
            block_on("birth", "substr(maternal, 1, 3)"),
            block_on("substr(birth, 1, 7)", "substr(paternal, 1, 3)", "substr(maternal, 1, 3)"),
        ],
    )
    linker = Linker(df, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match([block_on("dni")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("paternal", "maternal"))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    rows = predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r").fetchall()
    return {(a, b) if a < b else (b, a) for a, b in rows}


def rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def scores(found: set, truth: set) -> tuple[float, float, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def evaluate(label: str, records: list[Record], truth: set) -> dict:
    """Ayni's search on one labelled set: the figures, printed and returned."""
    rss_before = rss_mb()
    t0 = time.perf_counter()
    pairs = find_pairs(records)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = {(a, b) for a, b, *_rest in pairs}
    tp = len(found & truth)
    precision, recall, f1 = scores(found, truth)
    by_kind = {}
    for _a, _b, kind, *_rest in pairs:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    print(f"[{label}] duplicate search: {seconds:.1f} s, peak {peak_mb:.0f} MB (whole process, generator "
          f"included; {rss_before:.0f} MB before the search)")
    print(f"[{label}] pairs found {len(found):,} ({by_kind}); true {tp:,}; false {len(found) - tp:,}; "
          f"missed {len(truth) - tp:,}")
    print(f"[{label}] precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}", flush=True)
    return {"search_s": round(seconds, 2), "peak_mb": round(peak_mb, 1), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4), "splink_s": None, "splink_precision": None,
            "splink_recall": None, "splink_f1": None}


def evaluate_splink(label: str, records: list[Record], truth: set, ours: dict) -> None:
    """splink on the same set, its figures added to `ours` (after Ayni's searches, so that its
    memory is not counted in their peak)."""
    t0 = time.perf_counter()
    found = run_splink(records)
    seconds = time.perf_counter() - t0
    precision, recall, f1 = scores(found, truth)
    print(f"[{label}] splink: {seconds:.1f} s; precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    print(f"[{label}] ratios: Ayni time / splink time {ours['search_s'] / seconds:.2f}; "
          f"Ayni F1 / splink F1 {ours['f1'] / f1 if f1 else float('inf'):.3f}", flush=True)
    ours.update(splink_s=round(seconds, 2), splink_precision=round(precision, 4), splink_recall=round(recall, 4),
                splink_f1=round(f1, 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=800_000)
    parser.add_argument("--quick", action="store_true", help="50,000 people")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-splink", action="store_true", help="skip the splink comparison")
    args = parser.parse_args()
    n = 50_000 if args.quick else args.people
    splink = not args.no_splink
    if args.no_splink:
        print("splink: skipped (--no-splink)")
    else:
        try:
            import splink as _splink  # noqa: F401
        except ImportError:
            print("splink: not installed (pip install -e '.[bench]'); skipped")
            splink = False

    # The held-out set (21,000 rows) first: its search is small beside the big one, whose peak is measured.
    rows, held_truth, lookalikes = heldout.generate()
    held_records = [make_record(*row) for row in rows]
    print(f"[held-out] {len(held_records):,} rows, {len(held_truth):,} true pairs, look-alikes that are not: "
          f"{lookalikes} (bench/support/dedupe_heldout.py; never used for tuning)")
    held = evaluate("held-out", held_records, held_truth)

    t0 = time.perf_counter()
    records, truth = generate(n, args.seed)
    generated = time.perf_counter() - t0
    print(f"[own set] generated {len(records):,} people, {len(truth):,} labelled duplicates in {generated:.1f} s",
          flush=True)
    own = evaluate("own set", records, truth)
    if splink:
        evaluate_splink("own set", records, truth, own)
        evaluate_splink("held-out", held_records, held_truth, held)
    seconds, f1, peak_mb = own["search_s"], own["f1"], own["peak_mb"]
    if len(records) == 800_000:
        print(f"reference before the vectorised finder (issue 3 brief): 127 s, F1 0.992, peak 1,226 MB; "
              f"now {seconds:.1f} s ({127 / seconds:.0f}× faster), F1 {f1:.3f}, peak {peak_mb:,.0f} MB")
        print("reference before issue 12 (its own, easier set): 5.4 s, F1 0.992, peak 692 MB; "
              "independent trial set 21,000 rows: F1 0.958 (precision 0.997, recall 0.921)")
    else:
        print("reference before the vectorised finder (127 s, F1 0.992, peak 1,226 MB) is for 800,000 people")
    print(f"summary: F1 own set {f1:.4f} (splink {own['splink_f1']}), held-out {held['f1']:.4f} "
          f"(splink {held['splink_f1']}); goal 0.97 on both; load average {os.getloadavg()[0]:.1f}")
    result = {"people": len(records), "generate_s": round(generated, 2), **own,
              "seconds": own["search_s"], "splink_seconds": own["splink_s"],  # the keys before issue 12
              "heldout_rows": len(held_records), "heldout_true_pairs": len(held_truth)}
    result.update({f"{key}_heldout": value for key, value in held.items() if key != "peak_mb"})
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
