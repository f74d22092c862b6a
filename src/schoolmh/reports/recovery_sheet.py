"""The one-page printed recovery sheet for a vault's recovery key.

Built in memory; the caller prints it or writes it where the user chooses. The
sheet tells the reader what the key does, where to keep it and that a new key
replaces it.
"""

from __future__ import annotations

import re
from datetime import date

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from schoolmh.reports.pdfbase import (
    ACCENT,
    CONTENT_WIDTH,
    FONT,
    FONT_MONO_BOLD,
    INK,
    MUTED,
    Markup,
    build_pdf,
    format_date,
    para,
    register_fonts,
    styles,
)

__all__ = ["recovery_sheet_pdf", "RECOVERY_SHEET_TITLE", "RECOVERY_CONFIDENTIALITY"]

RECOVERY_SHEET_TITLE = "SchoolMH recovery key"
RECOVERY_CONFIDENTIALITY = "Secret: keep locked away, separate from the laptop"

_KEY_BOX_PADDING = 10
_KEY_SIZES = (24, 22, 20, 18, 16)


def _key_lines(key_groups: str) -> tuple[list[str], float]:
    """Break the key into printed lines at group boundaries, never inside a group.

    The key is printed exactly as given; a line that ends at a separator keeps
    it ("ABCD-EFGH-") so the reader can see the key goes on.
    """
    register_fonts()
    key = " ".join(key_groups.split())
    if not key:
        raise ValueError("the recovery key is empty")
    avail = CONTENT_WIDTH - 2 * _KEY_BOX_PADDING
    # tokens: each group with the separator that follows it
    tokens = re.findall(r"[^\s-]+(?:-|\s)?|-", key)
    for size in _KEY_SIZES:
        width = lambda s: pdfmetrics.stringWidth(s, FONT_MONO_BOLD, size)  # noqa: E731
        if width(key) <= avail:
            return [key], size
        lines: list[str] = []
        line = ""
        for tok in tokens:
            if line and width((line + tok).rstrip()) > avail:
                lines.append(line.rstrip())
                line = ""
            line += tok
        if line.strip():
            lines.append(line.rstrip())
        # same number of lines, groups shared out evenly (4 + 4, not 6 + 2)
        per = -(-len(tokens) // len(lines))
        even = ["".join(tokens[i:i + per]).rstrip() for i in range(0, len(tokens), per)]
        if len(even) == len(lines) and all(width(ln) <= avail for ln in even):
            lines = even
        if all(width(ln) <= avail for ln in lines) and len(lines) <= 4:
            return lines, size
    return lines, _KEY_SIZES[-1]


def _key_box(key_groups: str) -> Flowable:
    lines, size = _key_lines(key_groups)
    style = ParagraphStyle("key", parent=styles().mono_key, fontSize=size, leading=size * 1.45)
    rows = [[para(line, style)] for line in lines]
    t = Table(rows, colWidths=[CONTENT_WIDTH], hAlign="LEFT", style=TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("BOX", (0, 0), (-1, -1), 1.6, ACCENT),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F4F6F9")),
        ("LEFTPADDING", (0, 0), (-1, -1), _KEY_BOX_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _KEY_BOX_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, 0), 10),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 10),
    ]))
    return t


def _bullets(items: list[str | list]) -> list[Flowable]:
    st = styles()
    bullet = ParagraphStyle("bullet", parent=st.body, leftIndent=12, bulletIndent=0,
                            spaceAfter=3)
    out = []
    for item in items:
        p = para(item, bullet)
        p.bulletText = "•"
        out.append(p)
    return out


def _record_box() -> Flowable:
    st = styles()
    label = ParagraphStyle("rec", parent=st.body, textColor=MUTED, spaceAfter=0)
    rows = [
        [para("Put away by", label), "", para("Date", label), ""],
        [para("Where it is kept", label), "", "", ""],
    ]
    w = CONTENT_WIDTH
    t = Table(rows, colWidths=[0.2 * w, 0.42 * w, 0.1 * w, 0.28 * w], rowHeights=[24, 24],
              hAlign="LEFT", style=TableStyle([
                  ("FONTNAME", (0, 0), (-1, -1), FONT),
                  ("SPAN", (1, 1), (3, 1)),
                  ("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
                  ("LINEBELOW", (3, 0), (3, 0), 0.6, INK),
                  ("LINEBELOW", (1, 1), (3, 1), 0.6, INK),
                  ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                  ("LEFTPADDING", (0, 0), (-1, -1), 0),
              ]))
    return t


def recovery_sheet_pdf(school: str, key_groups: str, produced: date) -> bytes:
    """The printed recovery sheet: school, date, the key in large monospaced
    groups, what it is for, where to keep it, and that a new key replaces it."""
    st = styles()
    story: list[Flowable] = [
        para(RECOVERY_SHEET_TITLE, st.title),
        para([Markup("<b>School:</b> "), school], st.cover_meta),
        para(f"Printed {format_date(produced)}", st.cover_meta),
        Spacer(1, 5 * mm),
        KeepTogether([
            para("Recovery key", st.h2),
            _key_box(key_groups),
            Spacer(1, 2 * mm),
            para("Copy it exactly as printed, group by group.", st.small),
        ]),
        para("What it is for", st.h2),
        *_bullets([
            "This key opens your school's SchoolMH records without any staff password.",
            "With it, a lead can set a new password for any staff account: for example when "
            "a password is forgotten, or when the mental health lead leaves and nobody else "
            "can sign in.",
            "Anyone who has this sheet and the laptop, or a backup, can read every record. "
            "Look after it as you would the key to the school safe.",
        ]),
        para("Where to keep it", st.h2),
        *_bullets([
            "In a locked cabinet or the school safe, separate from the laptop and from any "
            "backup drive.",
            "Never photograph it, email it, scan it, or store it on the laptop or any other "
            "computer. If this sheet was saved as a file to print it, delete that file now.",
            "Make sure the headteacher knows where it is kept.",
        ]),
        para("If a new key is made", st.h2),
        *_bullets([
            "Making a new recovery key in SchoolMH makes this one stop working. Shred this "
            "sheet once the new one is printed and put away.",
        ]),
        Spacer(1, 6 * mm),
        _record_box(),
    ]
    return build_pdf(
        story,
        title=RECOVERY_SHEET_TITLE,
        school=school,
        confidentiality=RECOVERY_CONFIDENTIALITY,
        produced=produced,
        subject="Recovery key for the SchoolMH vault",
    )
