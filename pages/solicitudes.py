"""Solicitudes: managers decide, employees follow their own, HR sees all."""

import pandas as pd
import streamlit as st

from core.db import session_scope
from core.i18n import fmt_date, t
from core.requests import RequestError, decide, list_requests
from ui.common import engine, lang, require_page

user = require_page("solicitudes")
lg = lang()
st.title(t("req.title", lg))
st.write(t(f"req.intro.{user.role}", lg))

flash = st.session_state.pop("req_flash", None)
if flash:
    st.success(flash)

with session_scope(engine(), write=False) as session:
    reqs = list_requests(session, user)

if reqs.empty:
    st.info(t("req.empty", lg))
    st.stop()

title_col = "title_en" if lg == "en" else "title_es"
pending = reqs[reqs["can_decide"]]
if len(pending):
    st.subheader(t("req.pending", lg, n=len(pending)))
    for row in pending.itertuples():
        with st.container(border=True):
            st.markdown(f"**{row.full_name or row.employee_id}** · {getattr(row, title_col)}")
            st.caption(f"{t('req.col.created', lg)}: {fmt_date(row.created_at)}")
            comment = st.text_input(t("req.comment", lg), key=f"comment_{row.id}")
            left, right, _ = st.columns([1, 1, 4])
            choice = None
            if left.button(t("req.approve", lg), key=f"approve_{row.id}", type="primary"):
                choice = True
            if right.button(t("req.reject", lg), key=f"reject_{row.id}"):
                choice = False
            if choice is not None:
                try:
                    with session_scope(engine()) as session:
                        decide(session, user, int(row.id), approve=choice, comment=comment)
                except RequestError as exc:
                    st.error(exc.message(lg))
                else:
                    st.session_state["req_flash"] = t(
                        "req.approved" if choice else "req.rejected", lg)
                    st.rerun()

st.subheader(t("req.history", lg))
table = pd.DataFrame({
    t("req.col.person", lg): reqs["full_name"].fillna(reqs["employee_id"]),
    t("req.col.program", lg): reqs[title_col],
    t("req.col.status", lg): reqs["status"].map(lambda s: t(f"status.{s}", lg)),
    t("req.col.created", lg): reqs["created_at"].map(fmt_date),
    t("req.col.decided_by", lg): reqs["decided_by"],
    t("req.col.comment", lg): reqs["comment"],
})
st.dataframe(table, hide_index=True, width="stretch")
