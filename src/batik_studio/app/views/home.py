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
unseen = (predictor.card.get("leave_source_out") or {}).get("average")
if unseen and unseen.get("accuracy") is not None:
    words = {
        key: f"{100 * unseen[field]:.0f}%"
        for key, field in (
            ("accuracy", "accuracy"),
            ("negatives", "textile_rejected"),
            ("outside", "outside_rejected"),
            ("known", "known_rejected"),
        )
        if unseen.get(field) is not None
    }
    if len(words) == 4:
        folds = predictor.card["leave_source_out"].get("folds") or []
        k = sum(not row["fold"].endswith("(own split)") for row in folds)
        st.markdown(t("home.unseen", lang, k=k, **words))
evaluations = predictor.card.get("evaluations") or {}
for evaluation in evaluations.values():
    if evaluation.get("accuracy") is not None:
        accuracy = f"{100 * evaluation['accuracy']:.1f}%"
        st.markdown(t("home.accuracy", lang, accuracy=accuracy, images=evaluation.get("n", "?")))
    for rejection in (evaluation.get("unknown") or {}).values():
        rejected = f"{100 * rejection['rejected']:.0f}%"
        st.markdown(t("home.rejected", lang, rejected=rejected, n=rejection["n"]))
if not evaluations:
    st.markdown(t("home.no_accuracy", lang))
st.subheader(t("home.limits_title", lang))
st.markdown(t("home.limits", lang))
limits = predictor.card.get("known_limits") or []
if limits:
    st.caption(t("home.card_limits", lang) + "\n" + "\n".join(f"- {limit}" for limit in limits))
