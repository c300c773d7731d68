"""The motif catalogue: what each batik motif is called, where it comes from, what it means and how it is worn.

The knowledge lives as data (``catalog/data/motifs.yaml``), not code; this module reads it once and checks it,
so the app can rely on every motif having every text in every language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from batik_studio.errors import BatikError

#: Languages every text is written in; the first is the default.
LANGUAGES: tuple[str, ...] = ("id", "en")

#: Texts every motif must have, in every language.
REQUIRED_TEXTS: tuple[str, ...] = ("summary", "origin", "meaning", "history", "usage")

#: Texts a motif may have: ``disputes`` says where sources disagree.
OPTIONAL_TEXTS: tuple[str, ...] = ("disputes",)

_MOTIF_KEYS = {"name", "aliases", "regions", "sources", *REQUIRED_TEXTS, *OPTIONAL_TEXTS}
_SOURCE_KEYS = {"title", "url", "note"}


class CatalogError(BatikError):
    """The catalogue file is missing a field, has an unknown one, or repeats a motif."""


@dataclass(frozen=True)
class Source:
    """Where a motif's texts come from: a title, optionally a web address and a note on what it supports."""

    title: str
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Motif:
    """One motif, keyed by the dataset's class-folder name.

    Invariants (checked by :func:`parse_catalog`): ``name`` is non-empty; every text in :data:`REQUIRED_TEXTS` is
    present and non-empty in every language of :data:`LANGUAGES`; ``disputes`` is either absent or complete;
    there is at least one region and one source.
    """

    name: str
    aliases: tuple[str, ...]
    regions: tuple[str, ...]
    texts: Mapping[str, Mapping[str, str]]
    sources: tuple[Source, ...]

    def text(self, field: str, lang: str) -> str:
        """The text ``field`` (e.g. ``"meaning"``) in language ``lang``; empty when an optional text is absent."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
        if field not in (*REQUIRED_TEXTS, *OPTIONAL_TEXTS):
            raise ValueError(f"unknown text {field!r}; choose one of: {', '.join(REQUIRED_TEXTS + OPTIONAL_TEXTS)}")
        return self.texts.get(field, {}).get(lang, "")


@dataclass(frozen=True)
class Catalog:
    """Every motif, in file order, found by name or alias regardless of case and spacing."""

    motifs: tuple[Motif, ...]
    _index: dict[str, Motif] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Motif] = {}
        for motif in self.motifs:
            for key in {_fold(name) for name in (motif.name, *motif.aliases)}:
                if key in index:
                    raise CatalogError(f"{key!r} names both {index[key].name!r} and {motif.name!r}")
                index[key] = motif
        object.__setattr__(self, "_index", index)

    @property
    def names(self) -> list[str]:
        """The motif names, in file order."""
        return [motif.name for motif in self.motifs]

    def get(self, name: str) -> Motif | None:
        """The motif called ``name`` (its name or an alias; case, spaces and hyphens ignored), or None."""
        return self._index.get(_fold(name))

    def __len__(self) -> int:
        return len(self.motifs)

    def __iter__(self):
        return iter(self.motifs)


def _fold(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _texts(raw: Mapping[str, Any], field: str, where: str, required: bool) -> dict[str, str] | None:
    value = raw.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, Mapping):
        raise CatalogError(f"{where}: {field!r} must map each language ({', '.join(LANGUAGES)}) to a text")
    extra = set(value) - set(LANGUAGES)
    if extra:
        raise CatalogError(f"{where}: {field!r} has unknown language(s) {sorted(extra)}; allowed: {list(LANGUAGES)}")
    texts = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise CatalogError(f"{where}: {field!r} has no {lang!r} text")
        texts[lang] = " ".join(text.split())
    return texts


def _strings(raw: Mapping[str, Any], field: str, where: str, minimum: int) -> tuple[str, ...]:
    value = raw.get(field, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise CatalogError(f"{where}: {field!r} must be a list of non-empty strings")
    if len(value) < minimum:
        raise CatalogError(f"{where}: {field!r} needs at least {minimum} entr{'y' if minimum == 1 else 'ies'}")
    return tuple(item.strip() for item in value)


def _source(raw: Any, where: str) -> Source:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("title"), str) or not raw["title"].strip():
        raise CatalogError(f"{where}: each source needs a non-empty 'title'")
    extra = set(raw) - _SOURCE_KEYS
    if extra:
        raise CatalogError(f"{where}: source has unknown field(s) {sorted(extra)}; allowed: {sorted(_SOURCE_KEYS)}")
    url = raw.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
        raise CatalogError(f"{where}: source url {url!r} must start with https://")
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise CatalogError(f"{where}: source note must be text")
    return Source(title=raw["title"].strip(), url=url, note=note)


def _motif(raw: Any, index: int) -> Motif:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise CatalogError(f"motif #{index + 1}: needs a non-empty 'name'")
    name = raw["name"].strip()
    where = f"motif {name!r}"
    extra = set(raw) - _MOTIF_KEYS
    if extra:
        raise CatalogError(f"{where}: unknown field(s) {sorted(extra)}; allowed: {sorted(_MOTIF_KEYS)}")
    texts = {field: _texts(raw, field, where, required=True) for field in REQUIRED_TEXTS}
    for field in OPTIONAL_TEXTS:
        optional = _texts(raw, field, where, required=False)
        if optional is not None:
            texts[field] = optional
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise CatalogError(f"{where}: 'sources' must list at least one source")
    return Motif(
        name=name,
        aliases=_strings(raw, "aliases", where, minimum=0),
        regions=_strings(raw, "regions", where, minimum=1),
        texts=texts,
        sources=tuple(_source(source, where) for source in sources),
    )


def parse_catalog(data: Any) -> Catalog:
    """Build a :class:`Catalog` from parsed YAML (``{"motifs": [...]}``), raising :class:`CatalogError` if invalid."""
    if not isinstance(data, Mapping) or not isinstance(data.get("motifs"), list) or not data["motifs"]:
        raise CatalogError("the catalogue must be a mapping with a non-empty 'motifs' list")
    return Catalog(tuple(_motif(raw, i) for i, raw in enumerate(data["motifs"])))


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Read and check the catalogue at ``path`` (default: the one shipped in the package)."""
    if path is None:
        text = resources.files("batik_studio.catalog").joinpath("data/motifs.yaml").read_text(encoding="utf-8")
        where = "the shipped motif catalogue"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CatalogError(f"{where}: cannot read ({error.strerror})") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogError(f"{where}: not valid YAML ({error})") from error
    try:
        return parse_catalog(data)
    except CatalogError as error:
        raise CatalogError(f"{where}: {error}") from error


__all__ = ["LANGUAGES", "Catalog", "CatalogError", "Motif", "Source", "load_catalog", "parse_catalog"]
