import copy

import pytest
import yaml

from batik_studio.catalog import LANGUAGES, CatalogError, load_catalog, parse_catalog
from batik_studio.catalog.model import REQUIRED_TEXTS

BATIK7 = ["Insang", "Kawung", "Mega Mendung", "Parang", "Sidoluhur", "Truntum", "Tumpal"]
NUSANTARA = [
    "Bali", "Betawi", "Buketan", "Cendrawasih", "Ceplok", "Dayak", "Gentongan", "Ikat Celup", "Insang", "Kawung",
    "Keraton", "Lasem", "Lereng", "Mega Mendung", "Nitik", "Parang", "Prada", "Sekar Jagad", "Sidoluhur", "Sogan",
    "Tambal", "Truntum", "Tumpal", "Gunungan",
]  # fmt: skip
#: Motifs that two of the extra photo sources show and the catalogue documents, so the default model can learn them.
SOURCES = ["Pintu Aceh", "Poleng", "Barong", "Ondel-Ondel", "Pala"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def minimal():
    texts = {field: {"id": f"{field} id", "en": f"{field} en"} for field in REQUIRED_TEXTS}
    return {"motifs": [{"name": "Kawung", "regions": ["Yogyakarta"], "sources": [{"title": "A book"}], **texts}]}


def test_shipped_catalogue_covers_every_dataset_class(catalog):
    """Every batik7 and nusantara class folder name, and the motifs two extra sources share, has exactly one card."""
    assert set(catalog.names) == set(BATIK7) | set(NUSANTARA) | set(SOURCES)
    assert len(catalog.names) == len(set(catalog.names))


def test_every_card_is_complete_in_both_languages(catalog):
    """Each motif has every required text in Indonesian and English, a region and a source."""
    for motif in catalog:
        for field in REQUIRED_TEXTS:
            for lang in LANGUAGES:
                assert len(motif.text(field, lang)) > 20, (motif.name, field, lang)
        assert motif.regions and motif.sources
        assert motif.text("meaning", "id") != motif.text("meaning", "en")


def test_known_disagreements_are_stated(catalog):
    """Insang's region, Tumpal's origin and Kawung's age carry a 'disputes' text, as do others with one."""
    assert "Pontianak" in catalog.get("Insang").text("origin", "en")
    for name, word in (("Insang", "1930"), ("Tumpal", "origin"), ("Kawung", "century")):
        assert word in catalog.get(name).text("disputes", "en"), name
        assert catalog.get(name).text("disputes", "id")


def test_lookup_ignores_case_spacing_and_uses_aliases(catalog):
    """Model labels in any spelling, and aliases, find their motif; unknown names give None."""
    assert catalog.get("mega mendung").name == "Mega Mendung"
    assert catalog.get("MegaMendung").name == "Mega Mendung"
    assert catalog.get("Sido Luhur").name == "Sidoluhur"
    assert catalog.get("Corak Insang").name == "Insang"
    assert catalog.get("Songket") is None


def test_text_rejects_unknown_language_or_field(catalog):
    """Asking for a language or text that does not exist is a programming error."""
    kawung = catalog.get("Kawung")
    with pytest.raises(ValueError, match="language"):
        kawung.text("meaning", "fr")
    with pytest.raises(ValueError, match="text"):
        kawung.text("colour", "en")
    assert kawung.text("disputes", "en")
    assert catalog.get("Bali").text("disputes", "en") == ""


def test_minimal_catalogue_parses(minimal):
    """The smallest valid document parses into one motif."""
    assert parse_catalog(minimal).names == ["Kawung"]


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        (lambda m: m.pop("regions"), "regions"),
        (lambda m: m["meaning"].pop("en"), "'meaning' has no 'en'"),
        (lambda m: m["history"].update(fr="x"), "unknown language"),
        (lambda m: m.update(colour="red"), "unknown field"),
        (lambda m: m.update(sources=[]), "sources"),
        (lambda m: m.update(sources=[{"title": "x", "url": "http://insecure"}]), "https"),
        (lambda m: m.update(sources=[{"title": "x", "page": 3}]), "unknown field"),
        (lambda m: m.update(name=""), "name"),
        (lambda m: m.update(disputes={"id": "hanya id"}), "'disputes' has no 'en'"),
    ],
)
def test_invalid_motif_is_rejected_with_a_clear_message(minimal, defect, message):
    """Missing, unknown or malformed fields raise CatalogError naming the field."""
    broken = copy.deepcopy(minimal)
    defect(broken["motifs"][0])
    with pytest.raises(CatalogError, match=message):
        parse_catalog(broken)


def test_duplicate_name_or_alias_is_rejected(minimal):
    """Two motifs may not share a name or an alias."""
    twice = copy.deepcopy(minimal)
    twice["motifs"].append(copy.deepcopy(minimal["motifs"][0]))
    with pytest.raises(CatalogError, match="names both"):
        parse_catalog(twice)


def test_load_reports_file_and_yaml_errors(tmp_path):
    """A missing file, bad YAML or an empty document names the file."""
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("motifs: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogError, match="bad.yaml: not valid YAML"):
        load_catalog(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text(yaml.safe_dump({"motifs": []}), encoding="utf-8")
    with pytest.raises(CatalogError, match="empty.yaml"):
        load_catalog(empty)
