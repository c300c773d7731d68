"""History / Riwayat: earlier results, newest first, a page at a time; open, delete one or all, export CSV."""

import math

import streamlit as st

from batik_studio.app import resources
from batik_studio.app.i18n import t
from batik_studio.app.ui import escape_markdown, language, motif_label, percent, result_view

PAGE_SIZE = 20

lang = language()
st.title(t("history.title", lang))
store = resources.store()
catalog = resources.catalog()
state = st.session_state
if "history_flash" in state:
    st.success(state.pop("history_flash"))

pending = state.get("history_pending_delete")
if pending is not None:
    entry = store.get(pending)
    if entry is not None:
        st.warning(t("history.delete_confirm", lang, id=entry.id, motif=motif_label(entry.label, catalog)))
        yes, no = st.columns(2)
        if yes.button(t("history.confirm", lang), key="confirm_delete", type="primary"):
            store.delete(entry.id)
            state.pop("history_pending_delete")
            if state.get("history_open") == entry.id:
                state.pop("history_open")
            st.success(t("history.deleted", lang, id=entry.id))
        elif no.button(t("history.cancel", lang), key="cancel_delete"):
            state.pop("history_pending_delete")
            st.rerun()
    else:
        state.pop("history_pending_delete")

total = store.count()
if total == 0:
    st.info(t("history.empty", lang))
    st.stop()

opened = store.get(state["history_open"]) if state.get("history_open") is not None else None
if opened is not None:
    with st.container(border=True):
        st.subheader(t("history.details", lang, id=opened.id))
        st.caption(
            t("history.when", lang, when=opened.created_at.strftime("%Y-%m-%d %H:%M:%S"))
            + " · "
            + t("history.model", lang, model=escape_markdown(opened.model))
        )
        result_view(opened, store, catalog, lang)
        if st.button(t("history.close", lang), key="close_entry"):
            state.pop("history_open")
            st.rerun()

top, export = st.columns([3, 1])
top.markdown(t("history.count", lang, n=total))
export.download_button(
    t("history.export", lang),
    data=store.csv_text,
    file_name="batik-history.csv",
    mime="text/csv",
    key="export_csv",
    on_click="ignore",
)
pages = max(1, math.ceil(total / PAGE_SIZE))
page = st.number_input(t("history.page", lang, pages=pages), min_value=1, max_value=pages, value=1, key="history_page")
for entry in store.page(offset=(int(page) - 1) * PAGE_SIZE, limit=PAGE_SIZE):
    with st.container(border=True):
        thumb, text, actions = st.columns([1, 4, 1])
        thumbnail = store.thumbnail_path(entry)
        if thumbnail.exists():
            thumb.image(str(thumbnail), width=96)
        verdict = t("history.unknown", lang) if entry.unknown else motif_label(entry.label, catalog)
        text.markdown(f"**#{entry.id} · {verdict}** · {percent(entry.confidence)}")
        text.caption(f"{entry.created_at:%Y-%m-%d %H:%M} UTC · {escape_markdown(entry.file_name)}")
        if actions.button(t("history.open", lang), key=f"open_{entry.id}"):
            state["history_open"] = entry.id
            st.rerun()
        if actions.button(t("history.delete", lang), key=f"delete_{entry.id}"):
            state["history_pending_delete"] = entry.id
            st.rerun()

with st.expander(t("history.delete_all_title", lang)):
    sure = st.checkbox(t("history.delete_all_ack", lang, n=total), key="delete_all_ack")
    if st.button(t("history.delete_all", lang), key="delete_all", disabled=not sure, type="primary"):
        removed = store.delete_all()
        state.pop("history_open", None)
        state["history_flash"] = t("history.deleted_all", lang, n=removed)
        st.rerun()
