"""DfE school census code sets that MIS exports contain: ethnicity, SEN provision, SEN type of need.

Source: Department for Education, "Complete the school census" guide for 2024 to 2025
(the annual school census guidance), sections on ethnicity (main and extended codes),
SEN provision and SEN type of need, which print the Common Basic Data Set (CBDS) code
sets the census validates against. The extended ethnicity codes are the DfE's list
for schools and local authorities that record finer categories; every one belongs to
exactly one main code, and the census reports main codes, as SchoolMH does.

These tables were written from that guidance and checked code by code (see the
project notes for what was checked against what). A code that is not here is
refused with a message naming the cell, so a missing code blocks one row, never
silently changes a figure. Add a code here and in the hand-written table in
tests/test_dfe_codes.py, nowhere else.
"""
from __future__ import annotations

from .fields import _key

__all__ = [
    "ETHNICITY_MAIN_CODES",
    "ETHNICITY_EXTENDED_CODES",
    "PRIMARY_NEED_CODES",
    "SEN_PROVISION_CODES",
    "LEGACY_SEN_PROVISION",
    "LEGACY_PRIMARY_NEED",
    "ethnicity_main_code",
    "sen_provision_code",
    "primary_need_code",
]

ETHNICITY_MAIN_CODES: dict[str, tuple[str, str]] = {
    # code: (group, description): DfE school census ethnicity main codes.
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
    # extended code: (main code, description): DfE extended ethnicity codes, by main code.
    # WBRI
    "WENG": ("WBRI", "English"), "WSCO": ("WBRI", "Scottish"), "WWEL": ("WBRI", "Welsh"),
    "WNIR": ("WBRI", "Northern Irish"), "WCOR": ("WBRI", "Cornish"),
    "WOWB": ("WBRI", "Other White British"),
    # WOTH
    "WALB": ("WOTH", "Albanian"), "WBOS": ("WOTH", "Bosnian-Herzegovinian"),
    "WCRO": ("WOTH", "Croatian"), "WGRE": ("WOTH", "Greek/Greek Cypriot"),
    "WGRK": ("WOTH", "Greek"), "WGRC": ("WOTH", "Greek Cypriot"),
    "WITA": ("WOTH", "Italian"), "WKOS": ("WOTH", "Kosovan"),
    "WPOR": ("WOTH", "Portuguese"), "WSER": ("WOTH", "Serbian"),
    "WTUR": ("WOTH", "Turkish/Turkish Cypriot"), "WTUK": ("WOTH", "Turkish"),
    "WTUC": ("WOTH", "Turkish Cypriot"), "WEUR": ("WOTH", "White European"),
    "WEEU": ("WOTH", "White Eastern European"), "WWEU": ("WOTH", "White Western European"),
    "WOTW": ("WOTH", "White other"),
    # WROM
    "WROG": ("WROM", "Gypsy"), "WROR": ("WROM", "Roma"), "WROO": ("WROM", "Other Gypsy/Roma"),
    # MWAS
    "MWAP": ("MWAS", "White and Pakistani"), "MWAI": ("MWAS", "White and Indian"),
    "MWAO": ("MWAS", "White and any other Asian background"),
    # MOTH
    "MAOE": ("MOTH", "Asian and any other ethnic group"), "MABL": ("MOTH", "Asian and Black"),
    "MACH": ("MOTH", "Asian and Chinese"), "MBOE": ("MOTH", "Black and any other ethnic group"),
    "MBCH": ("MOTH", "Black and Chinese"), "MCOE": ("MOTH", "Chinese and any other ethnic group"),
    "MWOE": ("MOTH", "White and any other ethnic group"), "MWCH": ("MOTH", "White and Chinese"),
    "MOTM": ("MOTH", "Other mixed background"),
    # APKN
    "AKPA": ("APKN", "Kashmiri Pakistani"), "AMPK": ("APKN", "Mirpuri Pakistani"),
    "AOPK": ("APKN", "Other Pakistani"),
    # AOTH
    "AAFR": ("AOTH", "African Asian"), "AKAO": ("AOTH", "Kashmiri other"),
    "ANEP": ("AOTH", "Nepali"), "ASNL": ("AOTH", "Sri Lankan Sinhalese"),
    "ASLT": ("AOTH", "Sri Lankan Tamil"), "ASRO": ("AOTH", "Sri Lankan other"),
    "AOTA": ("AOTH", "Other Asian"),
    # BAFR
    "BANN": ("BAFR", "Black Angolan"), "BCON": ("BAFR", "Black Congolese"),
    "BGHA": ("BAFR", "Black Ghanaian"), "BNGN": ("BAFR", "Black Nigerian"),
    "BSLN": ("BAFR", "Black Sierra Leonean"), "BSOM": ("BAFR", "Black Somali"),
    "BSUD": ("BAFR", "Black Sudanese"), "BAOF": ("BAFR", "Other Black African"),
    # BOTH
    "BEUR": ("BOTH", "Black European"), "BNAM": ("BOTH", "Black North American"),
    "BOTB": ("BOTH", "Other Black"),
    # CHNE
    "CHKC": ("CHNE", "Hong Kong Chinese"), "CMAL": ("CHNE", "Malaysian Chinese"),
    "CSNG": ("CHNE", "Singaporean Chinese"), "CTWN": ("CHNE", "Taiwanese"),
    "COCH": ("CHNE", "Other Chinese"),
    # OOTH
    "OAFG": ("OOTH", "Afghan"), "OARA": ("OOTH", "Arab other"), "OEGY": ("OOTH", "Egyptian"),
    "OFIL": ("OOTH", "Filipino"), "OIRN": ("OOTH", "Iranian"), "OIRQ": ("OOTH", "Iraqi"),
    "OJPN": ("OOTH", "Japanese"), "OKOR": ("OOTH", "Korean"), "OKRD": ("OOTH", "Kurdish"),
    "OLAM": ("OOTH", "Latin/South/Central American"), "OLEB": ("OOTH", "Lebanese"),
    "OLIB": ("OOTH", "Libyan"), "OMAL": ("OOTH", "Malay"), "OMRC": ("OOTH", "Moroccan"),
    "OPOL": ("OOTH", "Polynesian"), "OTHA": ("OOTH", "Thai"), "OVIE": ("OOTH", "Vietnamese"),
    "OYEM": ("OOTH", "Yemeni"), "OOEG": ("OOTH", "Other ethnic group"),
}
if set(ETHNICITY_EXTENDED_CODES) & set(ETHNICITY_MAIN_CODES) or not {
    main for main, _ in ETHNICITY_EXTENDED_CODES.values()
} <= set(ETHNICITY_MAIN_CODES):
    raise ValueError("every extended ethnicity code must roll up to a main code")

# SEN provision (census "SEN provision"): since the SEND Code of Practice (September 2014).
SEN_PROVISION_CODES: dict[str, str] = {
    "E": "Education, health and care plan",
    "K": "SEN support",
    "N": "No special educational need",
}
LEGACY_SEN_PROVISION: dict[str, str] = {
    # Codes older exports still carry; each means something different today, so a
    # person must decide, and the import says what to check.
    "S": "S (statement of SEN) is the code from before September 2014; statements were replaced by "
         "EHC plans. Use E if the pupil now has an EHC plan, otherwise K or N",
    "A": "A (School Action) is the code from before September 2014; it was replaced by SEN support. "
         "Use K if the pupil still receives SEN support, otherwise N",
    "P": "P (School Action Plus) is the code from before September 2014; it was replaced by SEN support. "
         "Use K if the pupil still receives SEN support, otherwise N",
}

# SEN type of need (census "SEN type", primary need).
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
LEGACY_PRIMARY_NEED: dict[str, str] = {
    "BESD": "BESD (Behaviour, Emotional and Social Difficulty) was replaced in 2014 by SEMH (Social, "
            "Emotional and Mental Health), which is not the same need; check the pupil's record and "
            "use SEMH only if it applies",
}


class LegacyCode(ValueError):
    """A code from an older code set: refused with what it means today (``str(exc)``)."""


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
_LEGACY_SEN_BY_KEY: dict[str, str] = {
    _key(text): code
    for text, code in (("S", "S"), ("Statement", "S"), ("Statement of SEN", "S"),
                       ("A", "A"), ("School Action", "A"), ("P", "P"), ("School Action Plus", "P"))
}
_LEGACY_NEED_BY_KEY: dict[str, str] = {
    _key(text): code for text, code in (("BESD", "BESD"), ("Behaviour Emotional and Social Difficulty", "BESD"),
                                        ("Behavioural Emotional and Social Difficulties", "BESD"))
}


def ethnicity_main_code(text: str) -> str | None:
    """The main code for a code or description ("AMPK", "Mirpuri Pakistani" -> "APKN"), else None."""
    code = text.strip().upper()
    if code in ETHNICITY_MAIN_CODES:
        return code
    if code in ETHNICITY_EXTENDED_CODES:
        return ETHNICITY_EXTENDED_CODES[code][0]
    return _ETHNICITY_BY_DESCRIPTION.get(_key(text))


def sen_provision_code(text: str) -> str | None:
    """E, K or N for a code or description (blank is N), else None. Raises LegacyCode for S, A, P."""
    key = _key(text)
    code = _SEN_PROVISION_BY_KEY.get(key)
    if code is None and key in _LEGACY_SEN_BY_KEY:
        raise LegacyCode(LEGACY_SEN_PROVISION[_LEGACY_SEN_BY_KEY[key]])
    return code


def primary_need_code(text: str) -> str | None:
    """The primary need code for a code or description, else None. Raises LegacyCode for BESD."""
    key = _key(text)
    code = _PRIMARY_NEED_BY_KEY.get(key)
    if code is None and key in _LEGACY_NEED_BY_KEY:
        raise LegacyCode(LEGACY_PRIMARY_NEED[_LEGACY_NEED_BY_KEY[key]])
    return code
