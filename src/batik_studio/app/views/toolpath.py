"""Toolpath / Jalur CNC: upload G-code, SVG or DXF, optimise the stroke order, step through it, download it."""

import streamlit as st

from batik_studio.app import service
from batik_studio.app.i18n import t
from batik_studio.app.ui import escape_markdown, language
from batik_studio.errors import BatikError
from batik_studio.toolpath.solvers import SOLVERS

#: Tolerances (mm) of the page's merge and dedupe options, the command line's defaults.
MERGE_TOLERANCE_MM = 0.05
DEDUPE_MM = 0.05

lang = language()
st.title(t("toolpath.title", lang))
st.markdown(t("toolpath.intro", lang))
upload = st.file_uploader(
    t("toolpath.upload", lang), key="drawing", help=t("toolpath.upload_help", lang, mb=service.MAX_UPLOAD_MB)
)
methods = sorted(SOLVERS)
default = "best" if "best" in SOLVERS else "greedy"
method_column, feed_column, limit_column = st.columns(3)
method = method_column.selectbox(
    t("toolpath.method", lang), options=methods, index=methods.index(default) if default in methods else 0, key="method"
)
feed_mm_min = feed_column.number_input(
    t("toolpath.feed", lang), min_value=1.0, max_value=100_000.0, value=500.0, step=50.0, key="feed_mm_min"
)
time_limit_s = limit_column.number_input(
    t("toolpath.time_limit", lang), min_value=1, max_value=3600, value=60, step=10, key="time_limit_s"
)
bound = st.checkbox(t("toolpath.bound", lang), value=True, key="bound")
output_kind = st.radio(
    t("toolpath.output", lang),
    options=["gcode", "svg"],
    format_func=lambda kind: t(f"toolpath.output_{kind}", lang),
    horizontal=True,
    key="output_kind",
)
clean_column, dedupe_column, orient_column = st.columns(3)
merge = clean_column.checkbox(t("toolpath.merge", lang), value=False, key="merge", help=t("toolpath.merge_help", lang))
dedupe = dedupe_column.checkbox(
    t("toolpath.dedupe", lang), value=False, key="dedupe", help=t("toolpath.dedupe_help", lang)
)
y_down = orient_column.checkbox(
    t("toolpath.y_down", lang), value=False, key="y_down", help=t("toolpath.y_down_help", lang)
)
if upload is None:
    st.info(t("toolpath.hint", lang))
    st.stop()

# UI state only: the outcome shown for this upload and these settings, so a rerun does not optimise again.
settings = (upload.file_id, method, float(feed_mm_min), int(time_limit_s), bound, output_kind, merge, dedupe, y_down)
outcome = st.session_state.get("toolpath_outcome")
if st.button(t("toolpath.run", lang), key="optimise", type="primary"):
    bar = st.progress(0.0)
    try:
        with st.spinner(t("toolpath.running", lang)):
            outcome = service.optimise_drawing(
                upload.getvalue(),
                upload.name,
                method,
                feed_mm_min=float(feed_mm_min),
                time_limit_s=float(time_limit_s),
                bound=bound,
                output_kind=output_kind,
                merge_tolerance_mm=MERGE_TOLERANCE_MM if merge else None,
                dedupe_mm=DEDUPE_MM if dedupe else None,
                y_down=y_down,
                progress=lambda fraction: bar.progress(min(max(float(fraction), 0.0), 1.0)),
            )
    except BatikError as error:
        st.error(t("toolpath.error", lang, name=escape_markdown(upload.name), error=escape_markdown(str(error))))
        st.stop()
    bar.progress(1.0)
    st.session_state["toolpath_outcome"] = (settings, outcome)
    outcome = (settings, outcome)
if outcome is None or outcome[0] != settings:
    st.stop()

report = outcome[1].report
before_mm, after_mm = report["travel_before_mm"], report["travel_after_mm"]
saved_min = report["machining_minutes_before"] - report["machining_minutes_after"]
columns = st.columns(4)
columns[0].metric(t("toolpath.segments", lang), f"{report['segments']:,}")
columns[1].metric(t("toolpath.travel_before", lang), t("toolpath.unit_mm", lang, value=f"{before_mm:,.0f}"))
columns[2].metric(
    t("toolpath.travel_after", lang),
    t("toolpath.unit_mm", lang, value=f"{after_mm:,.0f}"),
    delta=f"{100 * (after_mm - before_mm) / before_mm:+.1f}%" if before_mm > 0 else None,
    delta_color="inverse",
)
columns[3].metric(t("toolpath.saved_minutes", lang), t("toolpath.unit_min", lang, value=f"{saved_min:,.1f}"))
if report.get("lower_bound_mm") is not None:
    bound, gap = st.columns(2)
    bound.metric(t("toolpath.lower_bound", lang), t("toolpath.unit_mm", lang, value=f"{report['lower_bound_mm']:,.0f}"))
    if report.get("gap_pct") is not None:
        gap.metric(t("toolpath.gap", lang), f"{report['gap_pct']:.1f}%")
st.caption(
    t(
        "toolpath.summary",
        lang,
        method=report["method"],
        seconds=f"{report['seconds']:.1f}",
        before=f"{report['machining_minutes_before']:,.1f}",
        after=f"{report['machining_minutes_after']:,.1f}",
        feed=f"{feed_mm_min:,.0f}",
    )
)
st.image(outcome[1].plot_png, caption=t("toolpath.plot", lang), width="stretch")
groups = report.get("groups") or []
if len(groups) > 1:
    st.subheader(t("toolpath.groups", lang))
    st.dataframe(
        [
            {
                t("toolpath.group_name", lang): group["name"],
                t("toolpath.segments", lang): group["segments"],
                t("toolpath.travel_before", lang): round(group["travel_before_mm"], 1),
                t("toolpath.travel_after", lang): round(group["travel_after_mm"], 1),
            }
            for group in groups
        ],
        key="groups",
    )
cleaning = report.get("cleaning") or {}
if cleaning:
    st.caption(
        t(
            "toolpath.cleaning",
            lang,
            touching=f"{cleaning['input_touching_strokes']:,}",
            retraced="?" if cleaning["input_retraced_strokes"] is None else f"{cleaning['input_retraced_strokes']:,}",
            retraced_mm="?" if cleaning["input_retraced_mm"] is None else f"{cleaning['input_retraced_mm']:,.1f}",
            strokes=f"{cleaning['strokes']:,}",
        )
    )
total = len(outcome[1].drawing)
st.subheader(t("toolpath.step", lang))
step = st.slider(t("toolpath.step_help", lang), min_value=0, max_value=total, value=total, key="step")
st.image(service.route_step_png(outcome[1], step), width="stretch")
st.download_button(
    t(f"toolpath.download_{output_kind}", lang),
    data=outcome[1].output,
    file_name=outcome[1].download_name,
    mime=outcome[1].mime,
    key="download_route",
    on_click="ignore",
)
