"""Stable codes stored in the database, with the names shown to people. Add a code here, nowhere else."""
from __future__ import annotations

TIERS = {
    "universal": "Universal",
    "targeted": "Targeted (in school)",
    "mhst": "MHST",
    "specialist": "Specialist",
}

FUNCTIONS = {1: "Direct support", 2: "Whole school approach", 3: "Advice and liaison"}
# Trailblazer evaluation: share of MHST time by function (NIHR, 2023).
NATIONAL_FUNCTION_SHARE = {1: 52, 2: 24, 3: 23}

SESSION_TYPES = {"one_to_one": "1:1", "group": "Group", "parent": "Parent", "consultation": "Consultation"}
SESSION_MODES = {"in_person": "In person", "video": "Video", "phone": "Phone", "group": "Group"}
ATTENDANCE = {
    "attended": "Attended",
    "dna": "Did not attend",
    "cancelled_school": "Cancelled by school",
    "cancelled_family": "Cancelled by pupil/family",
}

REFERRAL_DESTINATIONS = {
    "mhst": "MHST",
    "camhs": "CAMHS",
    "early_help": "Early help",
    "school_nurse": "School nurse",
    "ed_psych": "Educational psychologist",
    "voluntary": "Voluntary sector",
    "gp": "GP",
    "other": "Other",
}
REFERRAL_DECISIONS = {
    "pending": "Pending",
    "accepted": "Accepted",
    "not_accepted": "Not accepted",
    "signposted": "Signposted",
    "withdrawn": "Withdrawn",
}

# The eight principles of a whole school or college approach (DfE/PHE 2015, updated 2021).
# Editions order them differently, so they are stored by these codes, never by number.
PRINCIPLES = {
    "leadership": "Leadership and management that supports and champions efforts to promote emotional health and wellbeing",
    "ethos": "An ethos and environment that promotes respect and values diversity",
    "curriculum": "Curriculum, teaching and learning to promote resilience and support social and emotional learning",
    "voice": "Enabling student voice to influence decisions",
    "staff_dev": "Staff development to support their own wellbeing and that of students",
    "identify": "Identifying need and monitoring impact of interventions",
    "parents": "Working with parents and carers",
    "targeted": "Targeted support and appropriate referral",
}
PRINCIPLE_SHORT = {
    "leadership": "Leadership",
    "ethos": "Ethos and environment",
    "curriculum": "Curriculum and teaching",
    "voice": "Student voice",
    "staff_dev": "Staff development",
    "identify": "Identifying need",
    "parents": "Parents and carers",
    "targeted": "Targeted support",
}

RAG = {"red": "Red", "amber": "Amber", "green": "Green"}
LED_BY = {"school": "School", "mhst": "MHST", "external": "External"}
ACTIVITY_CATEGORIES = {
    "assembly": "Assembly",
    "workshop": "Workshop",
    "lesson": "Curriculum lesson",
    "staff_training": "Staff training",
    "voice": "Pupil/parent voice",
    "parents": "Parent session",
    "screening": "Screening / identifying need",
    "policy": "Policy / leadership",
    "other": "Other",
}
LIAISON_TYPES = {"supervision": "Supervision / consultation", "case_discussion": "Case discussion", "planning": "Planning"}
PLAN_STATUSES = {"open": "Open", "closed": "Closed"}
PEOPLE_INVOLVED = {"pupil": "Pupil", "parent": "Parent/carer", "staff": "School staff", "mhst": "MHST", "other": "Other"}
# DfE school census SEN provision codes (E, K, N since the September 2014 SEND Code of Practice):
# "Complete the school census" guide 2024 to 2025. The full code sets, the older codes S/A/P and the
# source are in domain/mis/dfe_codes.py; these are the short names the app shows.
SEN_PROVISION = {"E": "EHC plan", "K": "SEN support", "N": "No SEN"}
