"""Motifs / Motif: every motif in the catalogue with its card; those the model cannot recognise yet are marked."""

import streamlit as st

from batik_studio.app import resources
from batik_studio.app.i18n import t
from batik_studio.app.ui import language, motif_card
from batik_studio.errors import BatikError

lang = language()
st.title(t("motifs.title", lang))
st.markdown(t("motifs.intro", lang))
st.caption(t("motifs.photos", lang))
catalog = resources.catalog()
try:
    known = {label.casefold() for label in resources.predictor().labels}
except BatikError:
    known = set()
recognised = [motif for motif in catalog if motif.name.casefold() in known]
others = [motif for motif in catalog if motif.name.casefold() not in known]
for title, motifs, badge in (
    (t("motifs.recognised", lang, n=len(recognised)), recognised, ""),
    (t("motifs.not_recognised", lang, n=len(others)), others, f" · {t('motifs.badge', lang)}"),
):
    if motifs:
        st.header(title)
    for motif in motifs:
        with st.expander(f"{motif.name}{badge}"):
            motif_card(motif, motif.name, lang)
