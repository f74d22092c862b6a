"""The fields SchoolMH imports from an MIS export, their usual headers, and the file limits."""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_FILE_BYTES", "MAX_DATA_ROWS", "MAX_COLUMNS", "MAX_XLSX_UNPACKED_BYTES", "MAX_TEXT_LENGTH",
    "HEADER_SEARCH_ROWS", "IGNORE", "FieldSpec", "CANONICAL_FIELDS",
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
            "a DfE main code (WBRI, AIND ...), an extended code (WENG, AMPK ...) which is "
            "rolled up to its main code, a standard description ('White - British'), or "
            "both as SIMS prints them ('WBRI - White - British')",
            ("Ethnicity", "Ethnic Code", "Ethnicity Code", "Ethnic Group", "Ethnic Origin"),
        ),
        FieldSpec(
            "sen_provision", "SEN provision", "Special educational needs provision.",
            "E (EHC plan), K (SEN support), N or blank (none), those words, or both "
            "('K - SEN Support'); the pre-2014 codes S, A and P are refused with what to use today",
            ("SEN Provision", "SEN Status", "SEN", "SEND Status", "SEN Stage"),
        ),
        FieldSpec(
            "primary_need", "Primary need", "Primary type of SEN need.",
            "SPLD, MLD, SLD, PMLD, SLCN, SEMH, ASD, VI, HI, MSI, PD, NSA, OTH "
            "(or the DfE description, or both: 'ASD - Autistic Spectrum Disorder'); blank if none",
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
