"""Rendering pieces shared by the pages: the language switch, the motif card and one classification result."""

from __future__ import annotations

import re

import streamlit as st

from batik_studio.app.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from batik_studio.app.service import confidence_level
from batik_studio.catalog import Catalog, Motif
from batik_studio.store import HistoryEntry, HistoryStore

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def language() -> str:
    """The language the user chose (UI state; Indonesian until they switch)."""
    return st.session_state.get("language", DEFAULT_LANGUAGE)


def _remember_language() -> None:
    st.session_state["language"] = st.session_state["lang"]


def language_switch() -> str:
    """Render the Indonesian/English switch (in the sidebar, so it is on every page) and return the choice.

    The choice is kept under its own session key, so it survives pages on which the widget state is rebuilt.
    """
    options = list(LANGUAGES)
    current = language()
    st.sidebar.radio(
        t("lang.label", current),
        options=options,
        index=options.index(current),
        format_func=LANGUAGES.__getitem__,
        key="lang",
        horizontal=True,
        on_change=_remember_language,
    )
    return language()


def escape_markdown(text: str) -> str:
    """User-supplied text (e.g. a file name) made safe to show inside Markdown: shown literally, never rendered."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def percent(value: float) -> str:
    """0.913 -> '91%'."""
    return f"{100 * value:.0f}%"


def motif_label(name: str, catalog: Catalog) -> str:
    """The catalogue's spelling of a model label (falls back to the label itself)."""
    motif = catalog.get(name)
    return motif.name if motif else name


def motif_card(motif: Motif | None, name: str, lang: str) -> None:
    """Render a motif's card: region(s), meaning, history, when worn, disagreements and sources."""
    if motif is None:
        st.info(t("card.missing", lang, motif=escape_markdown(name)))
        return
    st.markdown(motif.text("summary", lang))
    st.markdown(f"**{t('card.regions', lang)}:** {motif.text('origin', lang)}")
    if motif.aliases:
        st.markdown(f"**{t('card.aliases', lang)}:** {', '.join(motif.aliases)}")
    for field in ("meaning", "history", "usage"):
        st.markdown(f"**{t('card.' + field, lang)}**")
        st.markdown(motif.text(field, lang))
    disputes = motif.text("disputes", lang)
    if disputes:
        st.warning(f"**{t('card.disputes', lang)}:** {disputes}")
    lines = []
    for source in motif.sources:
        title = escape_markdown(source.title)
        line = f"- [{title}]({source.url})" if source.url else f"- {title}"
        lines.append(line + (f" — {source.note}" if source.note else ""))
    st.caption(f"{t('card.sources', lang)}:\n" + "\n".join(lines))


def result_view(entry: HistoryEntry, store: HistoryStore, catalog: Catalog, lang: str) -> None:
    """Render one saved classification: the photo, the honest verdict, the top three and the motif's card."""
    photo, verdict = st.columns([2, 3])
    image_path = store.image_path(entry)
    if image_path.exists():
        photo.image(str(image_path), width="stretch")
    photo.caption(t("classify.file", lang, name=escape_markdown(entry.file_name)))
    level = confidence_level(entry)
    label = motif_label(entry.label, catalog)
    with verdict:
        if level == "rejected":
            st.error(t("classify.rejected", lang))
            st.markdown(f"**{t('classify.closest', lang)}**")
        else:
            st.markdown(f"### {t(f'classify.{level}', lang, motif=label)}")
            st.metric(t("classify.confidence", lang), percent(entry.confidence))
            st.caption(t("classify.confidence_note", lang, percent=percent(entry.confidence)))
            st.markdown(f"**{t('classify.top', lang)}**")
        st.markdown("\n".join(f"1. {motif_label(name, catalog)} — {percent(p)}" for name, p in entry.top_k))
    if level != "rejected":
        st.divider()
        st.subheader(label)
        motif_card(catalog.get(entry.label), entry.label, lang)


__all__ = ["escape_markdown", "language", "language_switch", "motif_card", "motif_label", "percent", "result_view"]
