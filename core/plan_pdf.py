"""A person's training plan as a PDF (fpdf2), in Spanish or English.

Name, role, the date (dd/mm/yyyy), then each recommended program with its expected gain and
interval, hours, cost in soles, modality and the plain-language reasons, and the reminder
that recommendations come from a model, are advisory and are approved by a person.

fpdf2's core fonts (Helvetica) are latin-1: Spanish letters (áéíóúñ¿¡«») render as they
are; anything outside latin-1 (curly quotes, dashes, emoji, other scripts) is replaced by
a close ASCII form or ``?`` instead of failing the download.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from core.i18n import fmt_date, fmt_soles, t

_ASCII = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...", "\u2022": "*", "\u00a0": " ",
    "\u202f": " ", "\u2009": " ", "\u2264": "<=", "\u2265": ">=", "\u2192": "->",
    "\u20ac": "EUR", "\u0141": "L", "\u0142": "l", "\u0152": "OE", "\u0153": "oe",
    "\u0110": "D", "\u0111": "d", "\u0131": "i",
})

INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (21, 101, 192)


def latin1(text: object) -> str:
    """``text`` in latin-1: typographic marks made ASCII, accents kept, the rest ``?``."""
    s = "" if text is None else str(text)
    s = s.translate(_ASCII)
    out = []
    for ch in s:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in base if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


class _PlanPDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, latin1(self._footer_text.format(n=self.page_no())), align="C")


def _num(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(v) else v


def build_plan_pdf(profile, plan: pd.DataFrame, lang: str = "es", *,
                   today: dt.date | None = None, compress: bool = True) -> bytes:
    """The PDF of one person's plan as bytes.

    ``profile`` is a :class:`core.plans.Profile` (or anything with ``employee_id``,
    ``full_name``, ``job_role``, ``department``, ``location``, ``opted_out``); ``plan`` is
    :func:`core.plans.stored_plan`'s frame. ``compress=False`` leaves the text streams
    readable (tests).
    """
    today = today or dt.date.today()
    pdf = _PlanPDF(t("plan.pdf.page", lang))
    pdf.set_compression(compress)
    name = profile.full_name or profile.employee_id
    pdf.set_title(latin1(f"{t('plan.title', lang)} - {name}"))
    pdf.set_author("Staff Performance & Training Enhancer")
    pdf.set_creator("Staff Performance & Training Enhancer")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()

    def para(text: str, size: float = 10, style: str = "", color=INK, h: float = 5.2,
             indent: float = 0.0) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.set_text_color(*color)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, h, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    para(t("plan.title", lang), 18, "B", ACCENT, h=9)
    para(name, 13, "B", h=7)
    role = " · ".join(x for x in (profile.job_role, profile.department, profile.location) if x)
    if role:
        para(role, 10, color=MUTED)
    para(t("plan.pdf.date", lang, date=fmt_date(today)), 10, color=MUTED)
    pdf.ln(3)
    pdf.set_draw_color(*MUTED)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)

    para(t("plan.recommended", lang), 13, "B", h=7)
    pdf.ln(1)
    if profile.opted_out:
        para(t("plan.opted_out", lang))
    elif plan is None or plan.empty:
        para(t("plan.no_plan", lang))
    else:
        for row in plan.itertuples():
            title = next((str(x) for x in ((getattr(row, "title_en", None) if lang == "en"
                                            else None), row.title_es, row.program_id)
                          if isinstance(x, str) and x.strip()), str(row.program_id))
            para(f"{int(row.rank)}. {title}", 12, "B", h=6.5)
            gain, lo, hi = _num(row.expected_gain), _num(row.low), _num(row.high)
            if gain is not None:
                gain_text = (t("plan.gain_value", lang, g=gain, lo=lo, hi=hi)
                             if lo is not None and hi is not None
                             else t("plan.pdf.gain_only", lang, g=gain))
                para(f"{t('plan.gain', lang)}: {gain_text}", indent=4)
            hours = _num(row.hours)
            cost = _num(row.cost_pen)
            modality = (t(f"modality.{row.modality}", lang)
                        if isinstance(row.modality, str) and row.modality else "—")
            facts = [f"{t('plan.hours', lang)}: {hours:,.0f}" if hours is not None else None,
                     f"{t('plan.cost', lang)}: {fmt_soles(cost)}" if cost is not None else None,
                     f"{t('plan.modality', lang)}: {modality}"]
            para(" · ".join(f for f in facts if f), indent=4)
            reasons = row.reasons if isinstance(row.reasons, dict) else {}
            for sentence in (reasons.get("sentences") or {}).get(lang, []):
                para(f"- {sentence}", 10, color=INK, indent=4)
            pdf.ln(3)

    pdf.ln(2)
    pdf.set_draw_color(*MUTED)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    para(t("plan.pdf.disclaimer", lang), 9, "I", MUTED, h=4.6)
    return bytes(pdf.output())


def plan_file_name(profile, today: dt.date | None = None) -> str:
    """``plan_E00012_2026-11-27.pdf``: the person's id and the date, ASCII only."""
    today = today or dt.date.today()
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(profile.employee_id))
    return f"plan_{safe}_{today.isoformat()}.pdf"


def plan_pdf_for(session, user, employee_id: str, lang: str = "es", *,
                 today: dt.date | None = None) -> bytes:
    """Build the PDF for a viewer who may see this person, and log the download.

    Access is the plan's (:func:`core.plans.profile` raises ``NotAllowed``); the audit entry
    ``plan_downloaded`` is written in the caller's transaction.
    """
    from core import audit
    from core.plans import profile, stored_plan

    prof = profile(session, user, employee_id, audit_view=False)
    plan = stored_plan(session, user, employee_id)
    data = build_plan_pdf(prof, plan, lang, today=today)
    audit.record(session, username=user.username, action="plan_downloaded",
                 target_employee_id=employee_id, detail={"lang": lang, "programs": len(plan)})
    return data
