"""Home / Beranda: what the app does, the motifs the shipped model knows, its measured accuracy and limits."""

import streamlit as st

from batik_studio.app import resources
from batik_studio.app.i18n import t
from batik_studio.app.ui import language, motif_label
from batik_studio.errors import BatikError

lang = language()
st.title(t("home.title", lang))
st.markdown(t("home.intro", lang))
st.subheader(t("home.what", lang))
st.markdown(
    "\n".join(
        f"- {t(key, lang)}"
        for key in ("home.what_classify", "home.what_history", "home.what_motifs", "home.what_toolpath")
    )
)

st.subheader(t("home.model", lang))
try:
    predictor = resources.predictor()
except BatikError as error:
    st.error(t("home.model_error", lang, error=error))
    st.stop()
catalog = resources.catalog()
names = [motif_label(label, catalog) for label in predictor.labels]
st.markdown(t("home.known", lang, n=len(names), names=", ".join(names)))
test = (predictor.card.get("metrics") or {}).get("test") or {}
if "accuracy" in test:
    st.markdown(t("home.accuracy", lang, accuracy=f"{100 * test['accuracy']:.1f}%", images=test.get("images", "?")))
else:
    st.markdown(t("home.no_accuracy", lang))
st.subheader(t("home.limits_title", lang))
st.markdown(t("home.limits", lang))
