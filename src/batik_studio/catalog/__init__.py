"""Motif knowledge (names, regions, meaning, history, usage, sources) in Indonesian and English, as data."""

from batik_studio.catalog.model import LANGUAGES, Catalog, CatalogError, Motif, Source, load_catalog, parse_catalog

__all__ = ["LANGUAGES", "Catalog", "CatalogError", "Motif", "Source", "load_catalog", "parse_catalog"]
