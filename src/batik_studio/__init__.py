"""Batik Studio: recognise batik motifs from photos and optimise CNC batik-tulis drawing order."""

__version__ = "0.1.0"

__all__ = ["__version__"]
