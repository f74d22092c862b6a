"""The document: A4 page templates, header and footer on every page, page x of y, fixed metadata."""
from __future__ import annotations

import calendar
import functools
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .fonts import FONT, FONT_BOLD, register_fonts
from .look import ACCENT, CONFIDENTIAL, CONTENT_WIDTH, MARGIN_TOP, MARGIN_X, MUTED, PAGE_SIZE, RULE, ZEBRA, format_date, styles
from .text import Markup, para

def _timestamp_for(produced: date) -> TimeStamp:
    """A reportlab TimeStamp fixed at midnight UTC of ``produced``."""
    ts = TimeStamp(invariant=1)
    t = calendar.timegm(datetime(produced.year, produced.month, produced.day).timetuple())
    ts.t = t
    ts.lt = time.gmtime(t)
    ts.YMDhms = tuple(ts.lt)[:6]
    ts.dhh = ts.dmm = 0
    ts.tzname = "UTC"
    return ts


class _NumberedCanvas(Canvas):
    """Holds pages back until the end so each can say "Page x of y"."""

    def __init__(self, *args, produced: date, page_label: Callable[[Canvas, int, int], None], **kw):
        super().__init__(*args, **kw)
        self._doc._timeStamp = _timestamp_for(produced)
        self._page_label = page_label
        self._held: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab API
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held)
        for n, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._page_label(self, n, total)
            super().showPage()
        super().save()


_HEADER_TOP = 12 * mm  # from the top edge of the page to the top of the header text
_HEADER_GAP = 2.5 * mm  # from the header text down to its rule
_HEADER_LEFT, _HEADER_RIGHT = 0.55, 0.43  # shares of the content width: school, report title


def _header_paras(school: str, title: str) -> tuple[tuple[Paragraph, float, float], tuple[Paragraph, float, float]]:
    """The header's school and title paragraphs, wrapped: ((para, width, height), ...).

    Fresh paragraphs each call, because platypus flowables are not reusable across pages.
    """
    st = styles()
    left = para(school, st.header)
    right = para(title, st.header_right)
    return ((left, *left.wrap(CONTENT_WIDTH * _HEADER_LEFT, 10_000)),
            (right, *right.wrap(CONTENT_WIDTH * _HEADER_RIGHT, 10_000)))


class ReportDocument(BaseDocTemplate):
    """A4 report: optional cover page template and a body template.

    Every page has a footer (confidentiality line, optional note, page x of y);
    body pages also have a header (school name, report title). Flowables with the
    ``h1`` style become PDF bookmarks.
    """

    def __init__(self, buffer, *, title: str, school: str, confidentiality: str,
                 produced: date, footer_note: str | None = None, subject: str = ""):
        register_fonts()
        self.school = school
        self.report_title = title
        self.confidentiality = confidentiality
        self.footer_note = footer_note
        self.produced = produced
        st = styles()
        self._note_para = para(footer_note, st.footer) if footer_note else None
        note_h = self._note_para.wrap(CONTENT_WIDTH, 1000)[1] if self._note_para else 0
        # footer: baseline at 12 mm, the note above it, a rule above the note
        self._footer_line_y = 12 * mm
        self._note_top = self._footer_line_y + 12 + note_h
        bottom = self._note_top + 8 * mm
        # header: school (left) and title (right) from 12 mm down, a rule below them; a
        # long school name or pupil name wraps, and the body starts below whatever it needs
        (_, _, left_h), (_, _, right_h) = _header_paras(school, title)
        top = max(MARGIN_TOP, _HEADER_TOP + max(left_h, right_h) + _HEADER_GAP + 3.5 * mm)
        super().__init__(
            buffer,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=top,
            bottomMargin=bottom,
            title=title,
            author="SchoolMH",
            subject=subject or title,
            creator="SchoolMH",
            producer="SchoolMH (ReportLab)",
            keywords="",
            invariant=1,
            lang="en-GB",
            initialFontName=FONT,
        )
        cover_frame = Frame(MARGIN_X, bottom, CONTENT_WIDTH, PAGE_SIZE[1] - bottom - 30 * mm,
                            id="cover", leftPadding=0, rightPadding=0, topPadding=0,
                            bottomPadding=0)
        body_frame = Frame(MARGIN_X, bottom, CONTENT_WIDTH, PAGE_SIZE[1] - bottom - top,
                           id="body", leftPadding=0, rightPadding=0, topPadding=0,
                           bottomPadding=0)
        self.addPageTemplates([
            PageTemplate(id="cover", frames=[cover_frame], onPage=self._draw_cover_page),
            PageTemplate(id="body", frames=[body_frame], onPage=self._draw_body_page),
        ])
        self._bookmarks = 0

    # -- page decoration --------------------------------------------------
    def _draw_footer(self, canv: Canvas) -> None:
        canv.saveState()
        st = styles()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, self._note_top + 3 * mm, PAGE_SIZE[0] - MARGIN_X, self._note_top + 3 * mm)
        if self._note_para is not None:
            # a fresh Paragraph each page: platypus flowables are not reusable
            note = para(self.footer_note, st.footer)
            _, h = note.wrap(CONTENT_WIDTH, 1000)
            note.drawOn(canv, MARGIN_X, self._note_top - h)
        conf = para([Markup("<b>"), self.confidentiality, Markup("</b>")], st.footer)
        conf.wrap(CONTENT_WIDTH - 40 * mm, 100)
        conf.drawOn(canv, MARGIN_X, self._footer_line_y - 2)
        canv.restoreState()

    def _draw_body_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        top = PAGE_SIZE[1] - _HEADER_TOP
        (left, _, lh), (right, _, rh) = _header_paras(self.school, self.report_title)
        left.drawOn(canv, MARGIN_X, top - lh)
        right.drawOn(canv, PAGE_SIZE[0] - MARGIN_X - CONTENT_WIDTH * _HEADER_RIGHT, top - rh)
        y = top - max(lh, rh) - _HEADER_GAP
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, y, PAGE_SIZE[0] - MARGIN_X, y)
        canv.restoreState()
        self._draw_footer(canv)

    def _draw_cover_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        canv.setFillColor(ACCENT)
        canv.rect(0, PAGE_SIZE[1] - 14 * mm, PAGE_SIZE[0], 14 * mm, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(FONT_BOLD, 11)
        canv.drawString(MARGIN_X, PAGE_SIZE[1] - 9 * mm, "SchoolMH")
        canv.restoreState()
        self._draw_footer(canv)

    def _page_label(self, canv: Canvas, page: int, total: int) -> None:
        canv.saveState()
        canv.setFont(FONT, 8.5)
        canv.setFillColor(MUTED)
        canv.drawRightString(PAGE_SIZE[0] - MARGIN_X, self._footer_line_y,
                             f"Page {page} of {total}")
        canv.restoreState()

    def afterFlowable(self, flowable):  # noqa: N802 - reportlab API
        if isinstance(flowable, Paragraph) and flowable.style.name.split("+")[0] == "h1":
            key = f"h1-{self._bookmarks}"
            self._bookmarks += 1
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)

    def build_flowables(self, flowables: list[Flowable]) -> None:
        maker = functools.partial(_NumberedCanvas, produced=self.produced,
                                  page_label=self._page_label)
        self.build(flowables, canvasmaker=maker)


def _cover_flowables(title: str, school: str, confidentiality: str, produced: date,
                     extra: Sequence[Flowable]) -> list[Flowable]:
    st = styles()
    box = Table(
        [[para([Markup("<b>"), confidentiality, Markup("</b>")],
               ParagraphStyle("cover_conf", parent=st.body, fontSize=11, leading=15,
                              spaceAfter=0))]],
        colWidths=[CONTENT_WIDTH],
        style=TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("BOX", (0, 0), (-1, -1), 1.2, ACCENT),
            ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, -1), 7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]),
    )
    box.hAlign = "LEFT"
    return [
        Spacer(1, 25 * mm),
        para(title, st.cover_title),
        para(school, st.cover_meta),
        para(f"Produced {format_date(produced)}", st.cover_meta),
        Spacer(1, 10 * mm),
        box,
        Spacer(1, 10 * mm),
        *extra,
    ]


def build_pdf(
    flowables: Sequence[Flowable],
    *,
    title: str,
    school: str,
    confidentiality: str = CONFIDENTIAL,
    produced: date,
    footer_note: str | None = None,
    cover: Sequence[Flowable] | None = None,
    subject: str = "",
) -> bytes:
    """Build a report in memory and return the PDF bytes.

    ``cover``: None for no cover page (the body starts on page 1); otherwise a
    cover page is made with the title, school, produced date and the
    confidentiality line, followed by the given flowables (may be empty), and
    the body starts on page 2. ``footer_note`` (e.g. ``SUPPRESSION_RULE_TEXT``)
    is printed above the footer line on every page. The same arguments give
    the same bytes: the creation date is ``produced``, not the clock.
    """
    buf = BytesIO()
    doc = ReportDocument(buf, title=title, school=school, confidentiality=confidentiality,
                         produced=produced, footer_note=footer_note, subject=subject)
    story: list[Flowable] = []
    if cover is not None:
        story.append(NextPageTemplate("body"))
        story.extend(_cover_flowables(title, school, confidentiality, produced, cover))
        story.append(PageBreak())
    else:
        # the first page uses the first template (cover) unless told otherwise
        doc.pageTemplates = [doc.pageTemplates[1], doc.pageTemplates[0]]
    story.extend(flowables)
    doc.build_flowables(story)
    return buf.getvalue()
