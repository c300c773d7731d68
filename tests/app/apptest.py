"""Helpers for the AppTest page tests: what a page wrote, and a photo classified on the Classify page."""


def texts(app) -> str:
    """Everything the page wrote, as one string."""
    parts = [element.value for kind in ("title", "header", "subheader", "markdown", "caption") for element in
             getattr(app, kind)]  # fmt: skip
    parts += [element.value for element in (*app.error, *app.warning, *app.info, *app.success)]
    parts += [expander.label for expander in app.expander]
    return "\n".join(str(part) for part in parts)


def classify(open_page, app, name, data, mime="image/png"):
    """Open the Classify page, upload one photo and run the page."""
    open_page(app, "classify")
    app.file_uploader(key="upload").upload(name, data, mime)
    app.run()
    assert not app.exception, app.exception
    return app
