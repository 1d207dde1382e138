"""Brechas de habilidades (trainer, HR): where the skill gaps are, and program feedback."""

import plotly.express as px
import streamlit as st

from core.explain import skill_label
from core.i18n import t
from core.skills import MIN_GROUP, feedback_counts
from ui.cache import gaps
from ui.common import engine, lang, require_page

user = require_page("brechas")
lg = lang()
st.title(t("gaps.title", lg))
st.caption(t("gaps.intro", lg, n=MIN_GROUP))

by = st.radio(t("gaps.by", lg), ["department", "location"], horizontal=True,
              format_func=lambda b: t(f"gaps.by.{b}", lg))
table = gaps(by)
if table.empty:
    st.info(t("gaps.empty", lg))
else:
    shown = table.rename(columns=lambda s: skill_label(s, lg))
    fig = px.imshow(shown, text_auto=".1f", aspect="auto", color_continuous_scale="OrRd",
                    labels={"color": t("gaps.heatmap", lg), "x": "", "y": ""})
    fig.update_layout(height=120 + 40 * len(shown), margin={"t": 20, "b": 10},
                      coloraxis_colorbar={"title": t("gaps.heatmap", lg)})
    fig.update_xaxes(tickangle=-30)
    st.plotly_chart(fig, width="stretch")

st.subheader(t("gaps.feedback", lg))
fb = feedback_counts(engine())
if fb.empty:
    st.info(t("gaps.feedback.empty", lg))
else:
    fb["program"] = fb["title_en" if lg == "en" else "title_es"]
    fb["reason"] = fb["reason"].map(lambda r: t(f"reason.{r}", lg))
    bar = px.bar(fb, x="count", y="program", color="reason", orientation="h",
                 labels={"count": t("axis.people", lg), "program": "", "reason": ""})
    bar.update_layout(height=100 + 35 * fb["program"].nunique(), margin={"t": 10})
    st.plotly_chart(bar, width="stretch")
