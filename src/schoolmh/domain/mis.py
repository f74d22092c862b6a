"""Reading pupil lists exported from a school MIS (SIMS, Arbor, Bromcom): CSV or XLSX.

Pure Python, no database and no Qt, so that the import service, the command line and
the import wizard all share one parser and one set of error messages.

How a file is read
------------------
1. Bytes: refuse anything over ``MAX_FILE_BYTES``. ``.xlsx``/``.xlsm`` (or any file
   that starts like a ZIP archive) is read with openpyxl in read-only, data-only mode;
   anything else is CSV, decoded as UTF-8 (with or without BOM), else Windows-1252,
   which is what Excel on a school PC saves as "CSV" and still what SIMS emits.
2. Header: the first non-blank row in which the usual headers (``CANONICAL_FIELDS``,
   matched ignoring case, spaces and punctuation) plus the user's mapping give a name
   and a year group. Looking a few rows down tolerates a report title above the table.
3. Rows: each value is parsed by its field's rule; every problem becomes a ``RowError``
   naming the spreadsheet row (header = row 1 when it is the first line) and the file's
   own column header, so staff can find it in Excel. Rows with any error are left out
   of ``ParsedFile.rows``: the import is all or nothing.

Nothing here raises on bad *content*: an unreadable or hostile file yields a
``ParsedFile`` whose ``errors`` explain why. Only a bad *mapping* argument (a typo in
``--map``) raises ``ValidationError``, because that is the caller's input, not the file.

Text is stored as given (stripped); it is not neutralised on the way in. Anything
that later writes user text into a CSV must pass it through ``csv_safe``.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from schoolmh.domain.upn import validate_upn
from schoolmh.errors import ValidationError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_DATA_ROWS",
    "IGNORE",
    "FieldSpec",
    "CANONICAL_FIELDS",
    "ETHNICITY_MAIN_CODES",
    "ETHNICITY_EXTENDED_CODES",
    "PRIMARY_NEED_CODES",
    "PupilRow",
    "RowError",
    "ParsedFile",
    "read_mis_file",
    "read_mis_bytes",
    "guess_mapping",
    "validate_mapping",
    "parse_map_option",
    "format_errors",
    "csv_safe",
]

# --- limits -----------------------------------------------------------------------
MAX_FILE_BYTES = 50 * 1024 * 1024
"""A whole-school export is a few MB at most; anything bigger is the wrong file."""
MAX_DATA_ROWS = 100_000
"""Far above any school roll; stops a runaway file from filling memory."""
MAX_COLUMNS = 1_000
"""Cells beyond this column are ignored (exports have tens of columns)."""
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024
"""An XLSX is a ZIP: refuse one that would unpack to more than this (a 'zip bomb')."""
MAX_TEXT_LENGTH = 100
"""Longest name, group or language accepted; longer means the wrong column."""
HEADER_SEARCH_ROWS = 10
"""How many non-blank rows may sit above the header (report titles, dates)."""

IGNORE = "ignore"
"""Mapping target meaning "do not import this column" (``--map "Notes=ignore"``)."""


# --- the canonical fields ------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    """One field SchoolMH imports: its stable name, what it means, and what is accepted.

    ``aliases`` are the column headers recognised without a mapping, best first: when
    a file has two columns for one field (say "Legal Surname" and "Surname"), the one
    whose alias comes first wins and the other is left unmapped.
    """

    name: str
    label: str
    description: str
    accepted: str
    aliases: tuple[str, ...]


_BOOL_ACCEPTED = "Y/N, Yes/No, True/False, T/F, 1/0; blank means no"

CANONICAL_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec(
            "upn", "UPN", "Unique Pupil Number, the pupil's key across schools.",
            "13 characters with a correct check letter (temporary UPNs accepted); optional",
            ("UPN", "Unique Pupil Number"),
        ),
        FieldSpec(
            "legal_surname", "Legal surname", "Surname as on the birth certificate.",
            "text, up to 100 characters; a legal or preferred surname is required",
            ("Legal Surname", "Surname", "Last Name", "Family Name", "Legal Last Name"),
        ),
        FieldSpec(
            "legal_forename", "Legal forename", "First name as on the birth certificate.",
            "text, up to 100 characters; a legal or preferred forename is required",
            ("Legal Forename", "Forename", "First Name", "Forenames", "Given Name",
             "Legal First Name"),
        ),
        FieldSpec(
            "preferred_forename", "Preferred forename",
            "The name the pupil is known by; staff use it when talking to them.",
            "text, up to 100 characters",
            ("Preferred Forename", "Preferred Name", "Known As", "Preferred First Name",
             "Chosen Name"),
        ),
        FieldSpec(
            "preferred_surname", "Preferred surname", "Surname the pupil uses, if different.",
            "text, up to 100 characters",
            ("Preferred Surname", "Preferred Last Name"),
        ),
        FieldSpec(
            "dob", "Date of birth", "Date of birth.",
            "dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd or a spreadsheet date; not in the future",
            ("DOB", "Date of Birth", "Birth Date", "Birthdate"),
        ),
        FieldSpec(
            "sex", "Sex", "Sex or gender as recorded in the MIS.",
            "M/F/Male/Female become M/F; anything else up to 20 characters is kept as given",
            ("Sex", "Gender", "Legal Sex"),
        ),
        FieldSpec(
            "year_group", "Year group", "National Curriculum year. Required.",
            "1-14, 'Year 7', 'Y7', R/Reception (0), N1 (-2), N2 (-1)",
            ("Year Group", "Year", "NC Year", "National Curriculum Year", "Curriculum Year",
             "NCY", "Yr"),
        ),
        FieldSpec(
            "tutor_group", "Tutor group", "Registration/tutor group or form.",
            "text, up to 100 characters",
            ("Reg Group", "Reg", "Registration Group", "Tutor Group", "Form", "Form Group",
             "Reg Form", "Registration Form", "Tutor Form", "Class"),
        ),
        FieldSpec(
            "ethnicity", "Ethnicity", "DfE ethnicity, stored as the main code.",
            "a DfE main code (WBRI, AIND ...), an extended code (WENG, APKM ...) which is "
            "rolled up to its main code, or a standard description ('White - British')",
            ("Ethnicity", "Ethnic Code", "Ethnicity Code", "Ethnic Group", "Ethnic Origin"),
        ),
        FieldSpec(
            "sen_provision", "SEN provision", "Special educational needs provision.",
            "E (EHC plan), K (SEN support), N or blank (none), or those words",
            ("SEN Provision", "SEN Status", "SEN", "SEND Status", "SEN Stage"),
        ),
        FieldSpec(
            "primary_need", "Primary need", "Primary type of SEN need.",
            "SPLD, MLD, SLD, PMLD, SLCN, SEMH, ASD, VI, HI, MSI, PD, NSA, OTH "
            "(or the DfE description); blank if none",
            ("Primary Need", "SEN Primary Need", "Primary SEN Need", "SEN Need",
             "SEN Need Type", "Primary Need Type"),
        ),
        FieldSpec(
            "first_language", "First language", "First (home) language.",
            "text as given (a code such as ENG or a name), up to 100 characters",
            ("First Language", "Home Language", "Language", "Main Language"),
        ),
        FieldSpec(
            "eal", "EAL", "English as an additional language.", _BOOL_ACCEPTED,
            ("EAL", "EAL Status", "English as an Additional Language"),
        ),
        FieldSpec(
            "fsm", "Free school meals", "Eligible for free school meals now.", _BOOL_ACCEPTED,
            ("FSM", "FSM Eligible", "Free School Meals", "FSM Eligibility",
             "Free School Meals Eligible", "FSM Status"),
        ),
        FieldSpec(
            "pupil_premium", "Pupil premium", "Attracts pupil premium funding.", _BOOL_ACCEPTED,
            ("Pupil Premium", "PP", "Pupil Premium Indicator", "Pupil Premium Eligible",
             "PP Eligible"),
        ),
        FieldSpec(
            "looked_after", "Looked after", "Looked-after child (in local authority care).",
            _BOOL_ACCEPTED,
            ("In Care", "CLA", "Looked After", "LAC", "Child Looked After",
             "Looked After Child", "In LA Care", "CLA Status"),
        ),
        FieldSpec(
            "young_carer", "Young carer", "Known to be a young carer.", _BOOL_ACCEPTED,
            ("Young Carer", "Young Carers", "Young Carer Indicator"),
        ),
        FieldSpec(
            "service_child", "Service child", "Parent in the armed forces.", _BOOL_ACCEPTED,
            ("Service Child", "Service Children", "Service Child Indicator",
             "Service Children in Education"),
        ),
    )
}

_FORENAME_FIELDS = ("legal_forename", "preferred_forename")
_SURNAME_FIELDS = ("legal_surname", "preferred_surname")


def _key(text: str) -> str:
    """Comparison key for headers and coded values: casefolded letters and digits only.

    "SEN Primary Need", "sen_primary_need" and "SEN-Primary-Need " all match; "&" is
    read as "and" so "Profound & Multiple ..." matches "Profound and Multiple ...".
    """
    return _NON_ALNUM.sub("", text.replace("&", "and").casefold())


_NON_ALNUM = re.compile(r"[\W_]+")

_ALIASES: dict[str, tuple[str, int]] = {}
for _spec in CANONICAL_FIELDS.values():
    for _priority, _alias in enumerate((_spec.name, *_spec.aliases)):
        _ALIASES.setdefault(_key(_alias), (_spec.name, _priority))
_FIELD_BY_KEY = {_key(form): spec.name
                 for spec in CANONICAL_FIELDS.values() for form in (spec.name, spec.label)}
"""Mapping targets: a field's name or its label ("Date of birth" -> dob)."""


# --- reference data: ethnicity, SEN ----------------------------------------------------
ETHNICITY_MAIN_CODES: dict[str, tuple[str, str]] = {
    # code: (group, description), DfE school census main codes.
    "WBRI": ("White", "British"),
    "WIRI": ("White", "Irish"),
    "WIRT": ("White", "Traveller of Irish heritage"),
    "WROM": ("White", "Gypsy/Roma"),
    "WOTH": ("White", "Any other White background"),
    "MWBC": ("Mixed", "White and Black Caribbean"),
    "MWBA": ("Mixed", "White and Black African"),
    "MWAS": ("Mixed", "White and Asian"),
    "MOTH": ("Mixed", "Any other mixed background"),
    "AIND": ("Asian", "Indian"),
    "APKN": ("Asian", "Pakistani"),
    "ABAN": ("Asian", "Bangladeshi"),
    "AOTH": ("Asian", "Any other Asian background"),
    "BCRB": ("Black", "Caribbean"),
    "BAFR": ("Black", "African"),
    "BOTH": ("Black", "Any other Black background"),
    "CHNE": ("Chinese", "Chinese"),
    "OOTH": ("Other", "Any other ethnic group"),
    "REFU": ("", "Refused"),
    "NOBT": ("", "Information not yet obtained"),
}

ETHNICITY_EXTENDED_CODES: dict[str, tuple[str, str]] = {
    # extended code: (main code, description). Common DfE extended codes; schools
    # using the extended list report at main-code level, and so do we. Add rows here.
    "WENG": ("WBRI", "English"), "WSCO": ("WBRI", "Scottish"), "WWEL": ("WBRI", "Welsh"),
    "WCOR": ("WBRI", "Cornish"), "WOWB": ("WBRI", "Other White British"),
    "WALB": ("WOTH", "Albanian"), "WBOS": ("WOTH", "Bosnian-Herzegovinian"),
    "WCRO": ("WOTH", "Croatian"), "WGRE": ("WOTH", "Greek/Greek Cypriot"),
    "WGRK": ("WOTH", "Greek"), "WGRC": ("WOTH", "Greek Cypriot"),
    "WITA": ("WOTH", "Italian"), "WKOS": ("WOTH", "Kosovan"),
    "WPOR": ("WOTH", "Portuguese"), "WSER": ("WOTH", "Serbian"),
    "WTUR": ("WOTH", "Turkish/Turkish Cypriot"), "WTUK": ("WOTH", "Turkish"),
    "WTUC": ("WOTH", "Turkish Cypriot"), "WEUR": ("WOTH", "White European"),
    "WEEU": ("WOTH", "White Eastern European"), "WWEU": ("WOTH", "White Western European"),
    "WOTW": ("WOTH", "White other"),
    "WROG": ("WROM", "Gypsy"), "WROR": ("WROM", "Roma"), "WROO": ("WROM", "Other Gypsy/Roma"),
    "MAOE": ("MOTH", "Asian and any other ethnic group"), "MABL": ("MOTH", "Asian and Black"),
    "MACH": ("MOTH", "Asian and Chinese"), "MBOE": ("MOTH", "Black and any other ethnic group"),
    "MBCH": ("MOTH", "Black and Chinese"), "MCOE": ("MOTH", "Chinese and any other ethnic group"),
    "MWOE": ("MOTH", "White and any other ethnic group"), "MWCH": ("MOTH", "White and Chinese"),
    "MOTM": ("MOTH", "Other mixed background"),
    "APKA": ("APKN", "Kashmiri Pakistani"), "APKM": ("APKN", "Mirpuri Pakistani"),
    "APKO": ("APKN", "Other Pakistani"),
    "AAFR": ("AOTH", "African Asian"), "AKAO": ("AOTH", "Kashmiri other"),
    "ANEP": ("AOTH", "Nepali"), "ASNL": ("AOTH", "Sri Lankan Sinhalese"),
    "ASLT": ("AOTH", "Sri Lankan Tamil"), "ASRO": ("AOTH", "Sri Lankan other"),
    "AOTA": ("AOTH", "Other Asian"),
    "BANN": ("BAFR", "Black Angolan"), "BCON": ("BAFR", "Black Congolese"),
    "BGHA": ("BAFR", "Black Ghanaian"), "BNGN": ("BAFR", "Black Nigerian"),
    "BSLN": ("BAFR", "Black Sierra Leonean"), "BSOM": ("BAFR", "Black Somali"),
    "BSUD": ("BAFR", "Black Sudanese"), "BAOF": ("BAFR", "Other Black African"),
    "BEUR": ("BOTH", "Black European"), "BNAM": ("BOTH", "Black North American"),
    "BOTB": ("BOTH", "Other Black"),
    "CHKC": ("CHNE", "Hong Kong Chinese"), "CMAL": ("CHNE", "Malaysian Chinese"),
    "CSNG": ("CHNE", "Singaporean Chinese"), "CTWN": ("CHNE", "Taiwanese"),
    "COCH": ("CHNE", "Other Chinese"),
    "OAFG": ("OOTH", "Afghan"), "OARA": ("OOTH", "Arab other"), "OEGY": ("OOTH", "Egyptian"),
    "OFIL": ("OOTH", "Filipino"), "OIRN": ("OOTH", "Iranian"), "OIRQ": ("OOTH", "Iraqi"),
    "OJPN": ("OOTH", "Japanese"), "OKOR": ("OOTH", "Korean"), "OKRD": ("OOTH", "Kurdish"),
    "OLAM": ("OOTH", "Latin/South/Central American"), "OLEB": ("OOTH", "Lebanese"),
    "OLIB": ("OOTH", "Libyan"), "OMAL": ("OOTH", "Malay"), "OMRC": ("OOTH", "Moroccan"),
    "OPOL": ("OOTH", "Polynesian"), "OTHA": ("OOTH", "Thai"), "OVIE": ("OOTH", "Vietnamese"),
    "OYEM": ("OOTH", "Yemeni"), "OOEG": ("OOTH", "Other ethnic group"),
}


def _ethnicity_descriptions() -> dict[str, str]:
    """Description key -> main code, in the forms MIS exports print them.

    E.g. "British", "White British", "White - British", "Asian or Asian British -
    Indian", "Mixed / Dual background - White and Asian". Main codes are entered
    first so an extended description can never shadow a main one.
    """
    table: dict[str, str] = {}

    def add(main: str, group: str, description: str) -> None:
        forms = [description]
        if group:
            forms += [f"{group} {description}", f"{group} or {group} British {description}"]
            if group == "Mixed":
                forms += [f"Mixed dual background {description}",
                          f"Mixed or multiple ethnic groups {description}"]
            if group in ("Chinese", "Other"):
                forms.append(f"Other ethnic group {description}")
        for form in forms:
            table.setdefault(_key(form), main)

    for code, (group, description) in ETHNICITY_MAIN_CODES.items():
        add(code, group, description)
    for code, (main, description) in ETHNICITY_EXTENDED_CODES.items():
        add(main, ETHNICITY_MAIN_CODES[main][0], description)
    for text, main in (("Information refused", "REFU"), ("Refused to provide", "REFU"),
                       ("Not obtained", "NOBT"), ("Not yet obtained", "NOBT"),
                       ("Information not obtained", "NOBT")):
        table.setdefault(_key(text), main)
    return table


_ETHNICITY_BY_DESCRIPTION = _ethnicity_descriptions()

PRIMARY_NEED_CODES: dict[str, str] = {
    "SPLD": "Specific Learning Difficulty",
    "MLD": "Moderate Learning Difficulty",
    "SLD": "Severe Learning Difficulty",
    "PMLD": "Profound and Multiple Learning Difficulty",
    "SLCN": "Speech, Language and Communication Needs",
    "SEMH": "Social, Emotional and Mental Health",
    "ASD": "Autistic Spectrum Disorder",
    "VI": "Visual Impairment",
    "HI": "Hearing Impairment",
    "MSI": "Multi-Sensory Impairment",
    "PD": "Physical Disability",
    "NSA": "SEN support but no specialist assessment of type of need",
    "OTH": "Other Difficulty/Disability",
}

_PRIMARY_NEED_BY_KEY: dict[str, str] = {}
for _code, _description in PRIMARY_NEED_CODES.items():
    for _form in (_code, _description, _description.rstrip("s"), _description + "s"):
        _PRIMARY_NEED_BY_KEY.setdefault(_key(_form), _code)
for _form, _code in (("Autistic Spectrum Condition", "ASD"), ("ASC", "ASD"),
                     ("Autism", "ASD"), ("Specific Learning Difficulties", "SPLD"),
                     ("Speech Language and Communication Need", "SLCN"),
                     ("Other", "OTH"), ("Other Difficulty", "OTH"),
                     ("No specialist assessment", "NSA")):
    _PRIMARY_NEED_BY_KEY.setdefault(_key(_form), _code)

_SEN_PROVISION_BY_KEY: dict[str, str] = {
    _key(text): code
    for text, code in (
        ("E", "E"), ("EHC Plan", "E"), ("EHCP", "E"), ("EHC", "E"),
        ("Education Health and Care Plan", "E"), ("Education, Health and Care Plan", "E"),
        ("K", "K"), ("SEN Support", "K"), ("SEN Support (K)", "K"),
        ("N", "N"), ("", "N"), ("None", "N"), ("No SEN", "N"),
        ("No Special Educational Need", "N"), ("No Special Educational Needs", "N"),
        ("EHC Plan (E)", "E"), ("No SEN (N)", "N"),
    )
}

_BOOLEANS = {
    "": False, "y": True, "yes": True, "true": True, "t": True, "1": True,
    "n": False, "no": False, "false": False, "f": False, "0": False,
}

_SEX = {"m": "M", "male": "M", "f": "F", "female": "F"}

_YEAR_WORDS = {
    "r": 0, "reception": 0, "rec": 0, "n1": -2, "n2": -1, "nursery1": -2, "nursery2": -1,
}
_YEAR_PREFIXES = ("nationalcurriculumyear", "ncyear", "yeargroup", "year", "yr", "y")
_YEAR_NUMBER = re.compile(r"(\d{1,2})(?:\.0+)?", re.ASCII)

_DMY = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII
)
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.ASCII
)


# --- result types -----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, slots=True)
class PupilRow:
    """One valid pupil from the file.

    Blank text is ``""`` and a blank date is ``None``. A field whose column was not in
    the file holds the same default; check ``ParsedFile.present_fields`` before letting
    a default overwrite something already recorded.
    """

    row_number: int
    year_group: int
    upn: str = ""
    legal_surname: str = ""
    legal_forename: str = ""
    preferred_forename: str = ""
    preferred_surname: str = ""
    dob: dt.date | None = None
    sex: str = ""
    tutor_group: str = ""
    ethnicity: str = ""
    sen_provision: str = "N"
    primary_need: str = ""
    first_language: str = ""
    eal: bool = False
    fsm: bool = False
    pupil_premium: bool = False
    looked_after: bool = False
    young_carer: bool = False
    service_child: bool = False

    @property
    def forename(self) -> str:
        """The name to greet the pupil by: preferred if given, else legal."""
        return self.preferred_forename or self.legal_forename

    @property
    def surname(self) -> str:
        return self.preferred_surname or self.legal_surname

    @property
    def display_name(self) -> str:
        return f"{self.forename} {self.surname}".strip()


@dataclass(frozen=True)
class RowError:
    """A problem in one cell (or, with ``column == ""``, in the file as a whole).

    ``row`` is the spreadsheet row number and ``column`` the file's own header text,
    so that the message points at the cell a member of staff sees in Excel.
    """

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        return f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class ParsedFile:
    """Everything the import wizard needs: what was found, what it means, what is wrong.

    ``raw_rows`` are the non-blank data rows as text, each padded or cut to the header's
    width, for a preview table; ``raw_row_numbers`` gives each one's spreadsheet row.
    """

    headers: list[str]
    mapping: dict[str, str]
    rows: list[PupilRow]
    errors: list[RowError]
    raw_rows: list[list[str]]
    raw_row_numbers: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if the whole file can be imported (imports are all or nothing)."""
        return not self.errors

    @property
    def present_fields(self) -> frozenset[str]:
        """Canonical fields that have a column in this file."""
        return frozenset(self.mapping.values())


class _FieldError(Exception):
    """A cell's value is not acceptable; ``message`` completes "row N, column C: ..."."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _FileProblem(Exception):
    """The file as a whole cannot be read; becomes a single row-1 error."""

    def __init__(self, message: str, row: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


# --- value parsers ----------------------------------------------------------------------
def _shown(text: str) -> str:
    """The offending value, quoted and shortened, for an error message."""
    return f"“{text[:30]}…”" if len(text) > 30 else f"“{text}”"


def _parse_text(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise _FieldError(
            f"too long ({len(text)} characters, at most {MAX_TEXT_LENGTH}): is this the right column?"
        )
    return text


def _parse_upn(text: str) -> str:
    if not text:
        return ""
    try:
        return validate_upn(text)
    except ValidationError as exc:
        raise _FieldError(exc.message.rstrip(".")) from None


def _parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy (UK order, as all three MIS export) or ISO yyyy-mm-dd.

    US order is never tried: 03/04/2012 is 3 April. Two-digit years are refused
    rather than guessed.
    """
    if not text:
        return None
    m = _DMY.fullmatch(text)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _ISO.fullmatch(text)
        if not m:
            raise _FieldError(f"{_shown(text)} is not a date: use dd/mm/yyyy")
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise _FieldError(f"{_shown(text)} is not a real date") from None
    if value > dt.date.today():
        raise _FieldError(f"date of birth {value:%d/%m/%Y} is in the future")
    if value.year < 1900:
        raise _FieldError(f"date of birth {value:%d/%m/%Y} is too early")
    return value


def _parse_bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.casefold()]
    except KeyError:
        raise _FieldError(f"should be Y or N, not {_shown(text)}") from None


def _parse_year_group(text: str) -> int | None:
    """National Curriculum year: "7", "07", "Year 7", "Y7", "R"/"Reception" (0), "N1"/"N2".

    A bare number must be a plain number ("-1" is refused, not read as 1).
    """
    if not text:
        return None
    m = _YEAR_NUMBER.fullmatch(text)
    if m:
        number: int | None = int(m[1])
    else:
        compact = _key(text)
        prefixed = False
        for prefix in _YEAR_PREFIXES:
            if compact.startswith(prefix) and len(compact) > len(prefix):
                compact, prefixed = compact[len(prefix):], True
                break
        if compact in _YEAR_WORDS:
            return _YEAR_WORDS[compact]
        number = (
            int(compact)
            if prefixed and compact.isascii() and compact.isdigit() and len(compact) <= 2
            else None
        )
    if number is not None and 0 <= number <= 14:
        return number
    raise _FieldError(f"{_shown(text)} is not a year group (use 1-14, R, N1 or N2)")


def _parse_sex(text: str) -> str:
    mapped = _SEX.get(text.casefold())
    if mapped:
        return mapped
    if len(text) > 20:
        raise _FieldError(f"{_shown(text)} is too long for sex (use M or F)")
    return text


def _parse_ethnicity(text: str) -> str:
    if not text:
        return ""
    code = text.upper()
    if code in ETHNICITY_MAIN_CODES:
        return code
    if code in ETHNICITY_EXTENDED_CODES:
        return ETHNICITY_EXTENDED_CODES[code][0]
    if len(code) > 4 and not code[4].isalpha():
        # "WBRI - White British", "APKM (Mirpuri Pakistani)": the code comes first.
        head = code[:4]
        if head in ETHNICITY_MAIN_CODES:
            return head
        if head in ETHNICITY_EXTENDED_CODES:
            return ETHNICITY_EXTENDED_CODES[head][0]
    if len(code) > 4 and code[:4] in ETHNICITY_MAIN_CODES and code.isalnum():
        # A longer local extension of a main code, e.g. "WBRIX".
        return code[:4]
    main = _ETHNICITY_BY_DESCRIPTION.get(_key(text))
    if main:
        return main
    raise _FieldError(f"{_shown(text)} is not a DfE ethnicity code (e.g. WBRI, AIND, BAFR)")


def _parse_sen_provision(text: str) -> str:
    code = _SEN_PROVISION_BY_KEY.get(_key(text))
    if code is None:
        raise _FieldError(
            f"{_shown(text)} is not a SEN provision: use E (EHC plan), K (SEN support) or N (none)"
        )
    return code


def _parse_primary_need(text: str) -> str:
    if not text:
        return ""
    code = _PRIMARY_NEED_BY_KEY.get(_key(text))
    if code is None:
        raise _FieldError(
            f"{_shown(text)} is not a primary need code ({', '.join(PRIMARY_NEED_CODES)})"
        )
    return code


_PARSERS: dict[str, Callable[[str], object]] = {
    "upn": _parse_upn,
    "legal_surname": _parse_text,
    "legal_forename": _parse_text,
    "preferred_forename": _parse_text,
    "preferred_surname": _parse_text,
    "dob": _parse_date,
    "sex": _parse_sex,
    "year_group": _parse_year_group,
    "tutor_group": _parse_text,
    "ethnicity": _parse_ethnicity,
    "sen_provision": _parse_sen_provision,
    "primary_need": _parse_primary_need,
    "first_language": _parse_text,
    "eal": _parse_bool,
    "fsm": _parse_bool,
    "pupil_premium": _parse_bool,
    "looked_after": _parse_bool,
    "young_carer": _parse_bool,
    "service_child": _parse_bool,
}
assert set(_PARSERS) == set(CANONICAL_FIELDS)


# --- mapping --------------------------------------------------------------------------------
def guess_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Recognise the usual MIS headers: {their header: canonical field}.

    Matching ignores case, spaces and punctuation. Each field gets at most one column
    (the best alias, then the leftmost); a header text repeated in the file counts once.
    The result is in column order, which is the order a wizard should show it in.
    """
    best: dict[str, tuple[int, int, str]] = {}
    seen: set[str] = set()
    for index, raw in enumerate(headers):
        text = raw.strip()
        if not text or text in seen:
            continue
        seen.add(text)
        hit = _ALIASES.get(_key(text))
        if hit is None:
            continue
        name, priority = hit
        if name not in best or priority < best[name][0]:
            best[name] = (priority, index, text)
    ordered = sorted(best.items(), key=lambda item: item[1][1])
    return {text: name for name, (_, _, text) in ordered}


def validate_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """Check a user mapping {their header: field}; return it with field names normalised.

    Targets are field names or labels, matched loosely ("Year Group" -> "year_group",
    "Date of birth" -> "dob"); ``IGNORE`` or an empty target drops a column. Raises
    ValidationError naming the bad entry, because a typo in ``--map`` should stop the
    import before any file is read.
    """
    result: dict[str, str] = {}
    targets: dict[str, str] = {}
    for their, target in mapping.items():
        header = their.strip()
        if not header:
            raise ValidationError("A mapping needs the file's column header before '='.", "mapping")
        wanted = _key(target)
        if wanted in ("", IGNORE):
            result[header] = IGNORE
            continue
        name = _FIELD_BY_KEY.get(wanted)
        if name is None:
            raise ValidationError(
                f"'{target.strip()}' is not a field SchoolMH can import. "
                f"Fields: {', '.join(CANONICAL_FIELDS)} (or '{IGNORE}').",
                "mapping",
            )
        if name in targets:
            raise ValidationError(
                f"Two columns are mapped to {name}: '{targets[name]}' and '{header}'.", "mapping"
            )
        targets[name] = header
        result[header] = name
    return result


def parse_map_option(spec: str) -> tuple[str, str]:
    """Split a command-line ``--map "Their Header=field"`` into (header, field).

    Splits at the last "=", since a header may contain "=" but a field name cannot.
    The field is checked by ``validate_mapping``.
    """
    header, sep, target = spec.rpartition("=")
    if not sep or not header.strip():
        raise ValidationError(
            f"--map expects \"Their Header=field\", not '{spec}'.", "mapping"
        )
    return header.strip(), target.strip()


def _resolve_mapping(
    headers: list[str], user: dict[str, str]
) -> tuple[dict[str, str], list[RowError]]:
    """Guessed mapping overridden by the user's; errors for mapped headers not in the file."""
    guessed = guess_mapping(headers)
    if not user:
        return guessed, []
    errors: list[RowError] = []
    present = {h for h in headers if h}
    by_key: dict[str, str] = {}
    for h in headers:
        if h:
            by_key.setdefault(_key(h), h)
    chosen: dict[str, str] = {}
    for their, target in user.items():
        actual = their if their in present else by_key.get(_key(their))
        if actual is None:
            errors.append(RowError(1, their, "this column, named in the mapping, is not in the file"))
            continue
        chosen[actual] = target
    taken = {target for target in chosen.values() if target != IGNORE}
    merged = {h: f for h, f in guessed.items() if h not in chosen and f not in taken}
    merged.update({h: f for h, f in chosen.items() if f != IGNORE})
    position = {h: i for i, h in reversed(list(enumerate(headers)))}
    ordered = dict(sorted(merged.items(), key=lambda item: position.get(item[0], 0)))
    return ordered, errors


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _missing_required(mapping: dict[str, str]) -> list[str]:
    fields = set(mapping.values())
    missing = []
    if not fields.intersection(_FORENAME_FIELDS):
        missing.append("a forename")
    if not fields.intersection(_SURNAME_FIELDS):
        missing.append("a surname")
    if "year_group" not in fields:
        missing.append("the year group")
    return missing


# --- reading bytes into rows of text -----------------------------------------------------------
_Table = list[tuple[int, list[str]]]  # (spreadsheet row number, cells) for non-blank rows


def _cell_text(value: object) -> str:
    """One XLSX cell as the text a CSV export would have shown (dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _add_row(table: _Table, row_number: int, cells: list[str]) -> None:
    """Keep a non-blank row; enforce the row limit while reading, not after.

    Blank rows count towards the limit too: a sheet of millions of empty rows costs as much
    to read as one of data (issue 11 item 9)."""
    if row_number > MAX_DATA_ROWS + HEADER_SEARCH_ROWS + 1:
        raise _FileProblem(
            f"The file has more than {MAX_DATA_ROWS:,} rows. Export only the pupils on roll."
        )
    if len(cells) > MAX_COLUMNS:
        cells = cells[:MAX_COLUMNS]
    for cell in cells:
        if cell.strip():
            break
    else:
        return
    if len(table) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
        raise _FileProblem(
            f"The file has more than {MAX_DATA_ROWS:,} rows. Export only the pupils on roll."
        )
    table.append((row_number, cells))


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM (Excel "Unicode text"), else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _FileProblem("The file claims to be UTF-16 text but is damaged.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; a replacement character there is visible
        # in the preview, which beats refusing an otherwise good SIMS export.
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """Comma unless the first line clearly uses semicolons or tabs (European Excel)."""
    for line in io.StringIO(text):
        if line.strip():
            counts = {d: line.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] > counts[","] else ","
    return ","


def _csv_rows(data: bytes) -> _Table:
    text = _decode(data)
    if "\x00" in text:
        raise _FileProblem(
            "This file is not a CSV file (it contains binary data). "
            "Export the pupil list from the MIS as CSV or XLSX."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    table: _Table = []
    row_number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise _FileProblem(
                "this row could not be read as CSV (a cell is far too long, or a quote "
                "is not closed). Check the export.",
                row=row_number + 1,
            ) from None
        row_number += 1
        _add_row(table, row_number, record)
    return table


def _xlsx_rows(data: bytes) -> _Table:
    not_xlsx = (
        "This file could not be opened as an Excel (XLSX) workbook. "
        "Export the pupil list from the MIS again as CSV or XLSX."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # zipfile raises many types on damaged input; all mean "not XLSX"
        raise _FileProblem(not_xlsx) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _FileProblem("This workbook is far larger than a pupil list. Export only the pupils.")

    import openpyxl  # lazy: ~0.1 s to import, and only the import wizard needs it

    table: _Table = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles/extensions it skips; irrelevant to values.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                if not workbook.worksheets:
                    raise _FileProblem("The workbook has no worksheet.")
                sheet = workbook.worksheets[0]
                # Some exporters write a wrong <dimension>, which makes read-only mode
                # stop early; ignore it and read every row that is there.
                sheet.reset_dimensions()
                for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    _add_row(table, row_number, [_cell_text(v) for v in values[:MAX_COLUMNS]])
            finally:
                workbook.close()
    except _FileProblem:
        raise
    except Exception:  # openpyxl on a damaged or hostile file: any error means unreadable
        raise _FileProblem(not_xlsx) from None
    return table


def _kind(data: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: a real .xls (some ".xls" are text)
        return "xls"
    return "csv"


# --- rows of text into pupils -------------------------------------------------------------------
_INVALID = object()
"""Placeholder for a value that failed to parse: truthy, so no "required" error is added on top."""


def _file_error(message: str, row: int = 1, headers: list[str] | None = None) -> ParsedFile:
    return ParsedFile(headers or [], {}, [], [RowError(row, "", message)], [], [])


def _parse_table(table: _Table, user: dict[str, str]) -> ParsedFile:
    """Find the header, map columns, parse every row; collect all errors, not just the first.

    Reporting every bad cell at once lets the school fix its export in one pass.
    """
    if not table:
        return _file_error("The file is empty: no rows were found.")

    header_at = 0
    headers: list[str] = [c.strip() for c in table[0][1]]
    mapping, map_errors = _resolve_mapping(headers, user)
    missing = _missing_required(mapping)
    for position in range(1, min(HEADER_SEARCH_ROWS, len(table))):
        if not missing:
            break
        candidate = [c.strip() for c in table[position][1]]
        cand_mapping, cand_errors = _resolve_mapping(candidate, user)
        if not _missing_required(cand_mapping):
            header_at, headers, mapping, map_errors, missing = (
                position, candidate, cand_mapping, cand_errors, [])
    header_row = table[header_at][0]

    data_rows = table[header_at + 1:]
    if len(data_rows) > MAX_DATA_ROWS:
        return _file_error(
            f"The file has more than {MAX_DATA_ROWS:,} rows. Export only the pupils on roll.",
            headers=headers,
        )
    width = len(headers)
    for _, cells in data_rows:  # in place: these lists are ours, and files can be large
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            del cells[width:]
    raw_rows = [cells for _, cells in data_rows]
    raw_numbers = [number for number, _ in data_rows]

    if missing:
        shown = ", ".join(f"“{h}”" for h in headers if h) or "none"
        message = (
            f"No column was recognised for {_join(missing)}. "
            f"Columns found: {shown[:500]}. Rename the column in the export or map it "
            f"to a field (for example \"Their Header=year_group\")."
        )
        errors = [RowError(header_row, "", message)] + [
            RowError(header_row, e.column, e.message) for e in map_errors
        ]
        return ParsedFile(headers, mapping, [], errors, raw_rows, raw_numbers)

    column_of = {h: i for i, h in reversed(list(enumerate(headers)))}
    columns = [(name, column_of[header], header) for header, name in mapping.items()]
    header_for = {name: header for header, name in mapping.items()}
    forename_col = next((header_for[f] for f in _FORENAME_FIELDS if f in header_for), "")
    surname_col = next((header_for[f] for f in _SURNAME_FIELDS if f in header_for), "")

    errors: list[RowError] = [RowError(header_row, e.column, e.message) for e in map_errors]
    rows: list[PupilRow] = []
    first_seen_upn: dict[str, int] = {}

    for row_number, cells in data_rows:
        row_errors: list[RowError] = []
        values: dict[str, object] = {}
        for name, index, header in columns:
            text = cells[index].strip()  # rows were padded to the header's width above
            try:
                values[name] = _PARSERS[name](text)
            except _FieldError as exc:
                row_errors.append(RowError(row_number, header, exc.message))
                values[name] = _INVALID
        if not (values.get("legal_forename") or values.get("preferred_forename")):
            row_errors.append(RowError(row_number, forename_col,
                                       "a forename is required (legal or preferred)"))
        if not (values.get("legal_surname") or values.get("preferred_surname")):
            row_errors.append(RowError(row_number, surname_col,
                                       "a surname is required (legal or preferred)"))
        if values.get("year_group") is None:
            row_errors.append(RowError(row_number, header_for["year_group"],
                                       "a year group is required"))
        upn = values.get("upn")
        if isinstance(upn, str) and upn:
            first = first_seen_upn.get(upn)
            if first is None:
                first_seen_upn[upn] = row_number
            else:
                row_errors.append(RowError(row_number, header_for["upn"], f"duplicate of row {first}"))
        if row_errors:
            errors.extend(sorted(row_errors, key=lambda e: _column_order(e, column_of)))
            continue
        rows.append(PupilRow(row_number=row_number, **values))  # type: ignore[arg-type]
    return ParsedFile(headers, mapping, rows, errors, raw_rows, raw_numbers)


def _column_order(error: RowError, column_of: dict[str, int]) -> int:
    return column_of.get(error.column, -1)


# --- public entry points ---------------------------------------------------------------------------
def read_mis_bytes(
    data: bytes, filename: str, mapping: Mapping[str, str] | None = None
) -> ParsedFile:
    """Parse an MIS export held in memory; ``filename`` (its extension) picks CSV or XLSX.

    Never raises for anything in ``data``: problems come back in ``ParsedFile.errors``.
    Raises ValidationError only if ``mapping`` itself is invalid.
    """
    user = validate_mapping(mapping) if mapping else {}
    if len(data) > MAX_FILE_BYTES:
        return _file_error(
            f"The file is {len(data) / 1_048_576:.0f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1_048_576} MB. Export only the pupils and columns needed."
        )
    try:
        kind = _kind(data, filename)
        if kind == "xls":
            return _file_error(
                "This is an old-style Excel file (.xls). Save it as .xlsx or CSV and try again."
            )
        table = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    except _FileProblem as exc:
        return _file_error(exc.message, exc.row)
    return _parse_table(table, user)


def read_mis_file(path: str | Path, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    """Parse an MIS export on disk. See ``read_mis_bytes``.

    Raises ValidationError if the file cannot be opened at all (missing, a folder,
    no permission); the size limit is checked before the file is read into memory.
    """
    user = validate_mapping(mapping) if mapping else {}
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return _file_error(
                f"The file is {size / 1_048_576:.0f} MB; the limit is "
                f"{MAX_FILE_BYTES // 1_048_576} MB. Export only the pupils and columns needed."
            )
        data = p.read_bytes()
    except OSError as exc:
        reason = exc.strerror or "it could not be read"
        raise ValidationError(f"Could not open {p.name}: {reason}.", "path") from None
    return read_mis_bytes(data, p.name, user)


def format_errors(errors: Sequence[RowError], limit: int = 20) -> str:
    """The first ``limit`` errors, one per line, then how many more.

    A file with a systematic problem can have thousands; the first screenful is what
    someone needs to see the pattern and fix the export.
    """
    lines = [str(error) for error in errors[:limit]]
    rest = len(errors) - limit
    if rest > 0:
        lines.append(f"… and {rest} more error{'' if rest == 1 else 's'}")
    return "\n".join(lines)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV injection).

    Applied when *writing* CSV, never on import, so stored names stay exactly as the
    MIS had them (OWASP "CSV Injection").
    """
    return "'" + text if text.startswith(_FORMULA_START) else text
