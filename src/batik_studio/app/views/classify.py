"""Classify / Klasifikasi: upload or take a photo, see the motif, an honest confidence, the top 3 and its card."""

import streamlit as st

from batik_studio.app import resources, service
from batik_studio.app.i18n import t
from batik_studio.app.ui import escape_markdown, language, result_view
from batik_studio.errors import ImageError

lang = language()
st.title(t("classify.title", lang))
source = st.radio(
    t("classify.source", lang),
    options=["upload", "camera"],
    format_func=lambda option: t(f"classify.source_{option}", lang),
    key="classify_source",
    horizontal=True,
)
if source == "camera":
    photo = st.camera_input(t("classify.camera", lang), key="camera")
else:
    photo = st.file_uploader(
        t("classify.upload", lang), key="upload", help=t("classify.upload_help", lang, mb=service.MAX_UPLOAD_MB)
    )
if photo is None:
    st.info(t("classify.hint", lang))
    st.stop()

# UI state only: which history entry this upload already produced, so a rerun does not classify it twice.
done = st.session_state.setdefault("classified", {})
store = resources.store()
entry = store.get(done[photo.file_id]) if photo.file_id in done else None
if entry is None:
    if len(done) >= service.MAX_UPLOADS_PER_SESSION:
        st.warning(t("classify.limit", lang, n=service.MAX_UPLOADS_PER_SESSION))
        st.stop()
    try:
        entry = service.classify_upload(photo.getvalue(), photo.name, resources.predictor(), store)
    except ImageError as error:
        st.error(t("classify.error", lang, name=escape_markdown(photo.name), mb=service.MAX_UPLOAD_MB))
        st.caption(t("classify.error_detail", lang, error=escape_markdown(str(error))))
        st.stop()
    done[photo.file_id] = entry.id
result_view(entry, store, resources.catalog(), lang)
st.caption(t("classify.saved", lang, id=entry.id) + " " + t("classify.time", lang, ms=f"{entry.milliseconds:.0f}"))
