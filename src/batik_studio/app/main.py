"""Entry file of the web app: only the router (language switch + page list); each page lives in ``pages/``."""

import streamlit as st

from batik_studio.app.i18n import t
from batik_studio.app.ui import language_switch

st.set_page_config(page_title="Batik Studio", page_icon=":material/texture:", layout="wide")
lang = language_switch()
pages = [
    st.Page("pages/home.py", title=t("nav.home", lang), icon=":material/home:", default=True),
    st.Page("pages/classify.py", title=t("nav.classify", lang), icon=":material/photo_camera:"),
    st.Page("pages/history.py", title=t("nav.history", lang), icon=":material/history:"),
    st.Page("pages/motifs.py", title=t("nav.motifs", lang), icon=":material/menu_book:"),
    st.Page("pages/toolpath.py", title=t("nav.toolpath", lang), icon=":material/route:"),
]
st.navigation(pages).run()
