"""Each page of the web app, run headlessly with Streamlit's AppTest through the real router."""

import csv
import io

from batik_studio.app import resources
from batik_studio.app.i18n import TEXT
from batik_studio.catalog import load_catalog
from tests.app.apptest import classify, texts

RED = (220, 30, 30)
BLUE = (20, 40, 200)
GREY = (128, 128, 128)


def test_home_shows_motifs_accuracy_and_limits(app_env, new_app, open_page, photo):
    """Home lists the model's motifs, its measured accuracy in plain words (no data set names) and its limits."""
    app = new_app()
    page = texts(app)
    assert "Motif yang dikenali (7)" in page and "Mega Mendung" in page
    assert "Akurasi terukur pada 7 foto uji yang tidak dipakai saat pelatihan: **50.0%**." in page
    assert "Dari 10 foto yang bukan batik atau bukan motifnya, yang ditolak sebagai tidak dikenal: **80%**." in page
    assert "batik7-test" not in page and "not-batik" not in page
    assert "Knows only three colours." in page
    assert TEXT["home.limits"]["id"][:40] in page


def test_classify_fixture_photo_shows_verdict_top3_and_card(app_env, new_app, open_page, photo):
    """A red photo is 'likely Kawung' with its top 3, the Kawung card (region, meaning) and is saved."""
    app = classify(open_page, new_app(), "kain.png", photo(RED))
    page = texts(app)
    kawung = load_catalog().get("Kawung")
    assert "Kemungkinan besar **Kawung**" in page
    assert "1. Kawung — 92%" in page and "Parang — 5%" in page
    assert kawung.text("meaning", "id") in page and kawung.text("origin", "id") in page
    assert kawung.text("disputes", "id") in page
    assert resources.store().count() == 1


def test_uncertain_wording_below_threshold(app_env, new_app, open_page, photo):
    """A 62% result is worded 'possibly', not 'likely'."""
    page = texts(classify(open_page, new_app(), "biru.png", photo(BLUE)))
    assert "Mungkin **Mega Mendung**" in page and "Kemungkinan besar" not in page


def test_rejected_photo_says_not_a_batik_with_closest_guesses(app_env, new_app, open_page, photo):
    """When the model rejects a photo the page says so and lists the closest guesses, still saving it."""
    app = classify(open_page, new_app(), "abu.png", photo(GREY))
    assert [e.value for e in app.error] == [TEXT["classify.rejected"]["id"]]
    assert "Tebakan terdekat" in texts(app) and "1. Parang — 30%" in texts(app)
    assert resources.store().page()[0].unknown


def test_rerun_and_language_switch_do_not_classify_twice(app_env, new_app, open_page, photo):
    """Switching language re-renders the same result in English without saving it again."""
    app = classify(open_page, new_app(), "kain.png", photo(RED))
    app.session_state["language"] = "en"
    app.run()
    page = texts(app)
    assert "Likely **Kawung**" in page and load_catalog().get("Kawung").text("meaning", "en") in page
    assert resources.store().count() == 1


def test_text_file_gets_a_message_not_a_traceback(app_env, new_app, open_page, photo):
    """A text file renamed .jpg is refused with a message; nothing is saved."""
    app = classify(open_page, new_app(), "notes.jpg", b"just some words, not pixels", "image/jpeg")
    assert len(app.error) == 1 and 'Berkas "notes\\.jpg" tidak dapat dipakai sebagai foto' in app.error[0].value
    assert any("not an image" in caption.value for caption in app.caption)
    assert resources.store().count() == 0


def test_truncated_photo_gets_a_message(app_env, new_app, open_page, photo):
    """A JPEG cut in half is refused with a message."""
    broken = photo(RED, fmt="JPEG")[:200]
    app = classify(open_page, new_app(), "broken.jpg", broken, "image/jpeg")
    assert len(app.error) == 1 and not app.exception


def test_file_name_is_shown_escaped(app_env, new_app, open_page, photo):
    """Markdown and HTML in a file name are shown literally, not rendered."""
    app = classify(open_page, new_app(), "**bold**<img src=x>.png", photo(RED))
    captions = [c.value for c in app.caption]
    assert any(r"\*\*bold\*\*\<img src=x\>\.png" in c for c in captions), captions
    broken = classify(open_page, new_app(), "<b>x</b>.jpg", b"not an image", "image/jpeg")
    assert r"\<b\>x\</b\>\.jpg" in broken.error[0].value


def test_history_survives_a_new_session(app_env, new_app, open_page, photo):
    """An entry saved in one session is listed in a fresh AppTest (a reload / restart)."""
    classify(open_page, new_app(), "kain.png", photo(RED))
    resources._open_store.clear()
    app = open_page(new_app(), "history")
    page = texts(app)
    assert "1 hasil" in page and "#1 · Kawung" in page
    assert app.button(key="open_1") and app.button(key="delete_1")


def test_history_open_shows_details(app_env, new_app, open_page, photo):
    """Opening an entry shows its photo details and the motif card."""
    classify(open_page, new_app(), "kain.png", photo(RED))
    app = open_page(new_app(), "history")
    app.button(key="open_1").click().run()
    page = texts(app)
    assert "Hasil #1" in page and load_catalog().get("Kawung").text("history", "id") in page


def test_history_delete_one_needs_confirmation(app_env, new_app, open_page, photo):
    """Delete asks first; cancel keeps the entry, confirm removes it."""
    app = new_app()
    classify(open_page, app, "a.png", photo(RED))
    app.file_uploader(key="upload").clear().upload("b.png", photo(BLUE), "image/png")
    app.run()
    app = open_page(new_app(), "history")
    app.button(key="delete_1").click().run()
    assert "Hapus hasil #1" in texts(app)
    app.button(key="cancel_delete").click().run()
    assert resources.store().count() == 2
    app.button(key="delete_1").click().run()
    app.button(key="confirm_delete").click().run()
    assert [entry.id for entry in resources.store().page()] == [2]
    assert "Hasil #1 dihapus." in texts(app)


def test_history_delete_all_needs_acknowledgement(app_env, new_app, open_page, photo):
    """The delete-all button is disabled until the user ticks that they understand."""
    classify(open_page, new_app(), "a.png", photo(RED))
    app = open_page(new_app(), "history")
    assert app.button(key="delete_all").disabled
    app.checkbox(key="delete_all_ack").check().run()
    app.button(key="delete_all").click().run()
    assert resources.store().count() == 0
    assert "1 hasil dihapus." in texts(app) and TEXT["history.empty"]["id"] in texts(app)


def test_history_export_offers_the_csv(app_env, new_app, open_page, photo):
    """The export button is there, and the CSV it serves lists the saved entry."""
    classify(open_page, new_app(), "kain.png", photo(RED))
    app = open_page(new_app(), "history")
    assert app.get("download_button")[0].label == "Unduh CSV"
    rows = list(csv.DictReader(io.StringIO(resources.store().csv_text())))
    assert [(row["motif"], row["file_name"]) for row in rows] == [("Kawung", "kain.png")]


def test_history_paginates(app_env, new_app, open_page, photo):
    """With more entries than a page holds, page 2 shows the older ones."""
    app = new_app()
    for i in range(23):
        classify(open_page, app, f"{i}.png", photo((200, i, i)))
    app = open_page(new_app(), "history")
    assert "Halaman (dari 2)" in app.number_input(key="history_page").label
    keys = {button.key for button in app.button}
    assert "open_23" in keys and "open_3" not in keys
    app.number_input(key="history_page").set_value(2).run()
    keys = {button.key for button in app.button}
    assert "open_3" in keys and "open_23" not in keys


def test_motifs_page_lists_all_and_marks_unrecognised(app_env, new_app, open_page, photo):
    """Every catalogue motif has a card; those outside the model's labels are marked not yet recognised."""
    app = open_page(new_app(), "motifs")
    labels = [expander.label for expander in app.expander]
    assert len(labels) == len(load_catalog())
    assert "Kawung" in labels and "Gentongan · belum dikenali" in labels
    unrecognised = len(load_catalog()) - 7
    assert "Dikenali model (7)" in texts(app) and f"Belum dikenali model ({unrecognised})" in texts(app)
    assert TEXT["motifs.photos"]["id"] in texts(app)


def test_language_switch_reaches_every_page(app_env, new_app, open_page, photo):
    """The switch is in the router; after choosing English every page is in English."""
    app = new_app()
    app.radio(key="lang").set_value("en").run()
    assert "Motifs it recognises (7)" in texts(app)
    for page, key in (("classify", "classify.title"), ("history", "history.title"), ("motifs", "motifs.title"),
                      ("toolpath", "toolpath.title")):  # fmt: skip
        assert open_page(app, page).title[0].value == TEXT[key]["en"]


GCODE = "\n".join(
    ["G21", "G90", "G00 Z5"]
    + [
        line
        for x, y in ((0, 0), (50, 50), (11, 0), (61, 50))
        for line in (f"G00 X{x} Y{y}", "G01 Z-1 F500", f"G01 X{x + 9} Y{y}", "G00 Z5")
    ]
    + ["M2", ""]
).encode()


def test_toolpath_page_optimises_and_offers_the_new_gcode(app_env, new_app, open_page):
    """Uploading G-code and pressing optimise shows the numbers, the plot and a G-code download."""
    app = open_page(new_app(), "toolpath")
    assert app.selectbox(key="method").value in ("best", "greedy")
    app.selectbox(key="method").set_value("greedy")
    app.file_uploader(key="drawing").upload("motif <1>.gcode", GCODE, "text/plain")
    app.run()
    app.button(key="optimise").click().run()
    assert not app.exception and not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Goresan"] == "4"
    before = float(metrics["Perpindahan awal"].split()[0].replace(",", ""))
    after = float(metrics["Perpindahan baru"].split()[0].replace(",", ""))
    assert after < before
    bound = float(metrics["Batas bawah"].split()[0].replace(",", ""))
    assert 0 < bound <= after + 1e-6 and "Selisih dari batas bawah" in metrics
    assert app.get("download_button")[0].label == TEXT["toolpath.download_gcode"]["id"]
    assert len(app.image) == 2 and app.slider(key="step").value == 4
    app.run()  # a rerun keeps the result without optimising again
    assert app.get("download_button")


def test_toolpath_page_takes_dxf_shows_groups_and_offers_svg(app_env, new_app, open_page, tmp_path):
    """A DXF with two layers is ordered per layer, its groups listed, the order stepped through, SVG offered."""
    import ezdxf

    document = ezdxf.new("R2000")
    space = document.modelspace()
    for k, layer in enumerate(("outline", "isen")):
        for x in (0, 40, 10):
            space.add_line((x, 10 * k), (x + 8, 10 * k), dxfattribs={"layer": layer})
    document.saveas(tmp_path / "motif.dxf")
    app = open_page(new_app(), "toolpath")
    app.selectbox(key="method").set_value("greedy")
    app.radio(key="output_kind").set_value("svg")
    app.file_uploader(key="drawing").upload("motif.dxf", (tmp_path / "motif.dxf").read_bytes(), "image/vnd.dxf")
    app.run()
    app.button(key="optimise").click().run()
    assert not app.exception and not app.error
    assert app.get("download_button")[0].label == TEXT["toolpath.download_svg"]["id"]
    assert app.dataframe[0].value.iloc[:, 0].tolist() == ["outline", "isen"]
    app.slider(key="step").set_value(2).run()
    assert not app.exception and len(app.image) == 2


def test_toolpath_page_reports_unreadable_drawing(app_env, new_app, open_page):
    """A file that is not G-code or SVG gets a message naming the allowed types."""
    app = open_page(new_app(), "toolpath")
    app.file_uploader(key="drawing").upload("notes.txt", b"hello", "text/plain")
    app.run()
    app.button(key="optimise").click().run()
    assert not app.exception
    assert len(app.error) == 1 and ".gcode" in app.error[0].value


def test_unreachable_database_gets_a_message(app_env, new_app, open_page, monkeypatch, tmp_path):
    """A history database that cannot be opened is reported on the page, not as a traceback."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be", encoding="utf-8")
    monkeypatch.setenv("BATIK_DATABASE_URL", f"sqlite:///{blocker / 'history.sqlite3'}")
    app = open_page(new_app(), "history")
    assert len(app.error) == 1 and "Terjadi masalah" in app.error[0].value
