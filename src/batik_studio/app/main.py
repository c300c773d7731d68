"""Entry file of the web app: only the router (language switch + page list).

Each page lives in ``views/``; a folder named ``pages/`` would be served by Streamlit on its own, without this
router, when a user opens a deep link first.
"""

import streamlit as st

from batik_studio.app.i18n import t
from batik_studio.app.ui import escape_markdown, language_switch
from batik_studio.errors import BatikError

st.set_page_config(page_title="Batik Studio", page_icon=":material/texture:", layout="wide")
lang = language_switch()
pages = [
    st.Page("views/home.py", title=t("nav.home", lang), icon=":material/home:", default=True),
    st.Page("views/classify.py", title=t("nav.classify", lang), icon=":material/photo_camera:"),
    st.Page("views/history.py", title=t("nav.history", lang), icon=":material/history:"),
    st.Page("views/motifs.py", title=t("nav.motifs", lang), icon=":material/menu_book:"),
    st.Page("views/toolpath.py", title=t("nav.toolpath", lang), icon=":material/route:"),
]
try:
    st.navigation(pages).run()
except BatikError as error:  # a model, database or file problem: one message, never a traceback
    st.error(t("app.error", lang, error=escape_markdown(str(error))))
