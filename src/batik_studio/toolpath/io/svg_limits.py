"""What an SVG may hold before svgelements reads it: no entities, bounded nesting, bounded ``<use>`` expansion.

svgelements expands ``<use>`` references and nested groups recursively and would expand XML entities, so a
small hostile file could take all memory or the stack. :func:`check_svg_xml` parses the file once with defusedxml
(entity declarations and external references refused, nothing read from disk or network) and refuses what would
blow up, each with one line naming the element.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import defusedxml
import defusedxml.ElementTree

from batik_studio.errors import DrawingError

#: Limits that keep a small hostile file from taking all memory or the stack: elements after ``<use>`` expansion,
#: nesting depth, and points of the flattened drawing.
MAX_EXPANDED_ELEMENTS = 200_000
MAX_DEPTH = 200
MAX_POINTS = 5_000_000

_NOT_A_NUMBER = re.compile(r"(?<![a-z])(nan|inf|infinity)(?![a-z])", re.IGNORECASE)
_NUMERIC_ATTRIBUTES = ("d", "points", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height")
_HREFS = ("href", "{http://www.w3.org/1999/xlink}href")


def _tag(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else "?"


def _describe(element: ElementTree.Element) -> str:
    ident = element.get("id")
    return f"<{_tag(element)} id={ident!r}>" if ident else f"<{_tag(element)}>"


def check_svg_xml(source: Path) -> None:
    """Refuse what svgelements would expand without bound: entities, deep nesting, ``<use>`` fan-out and cycles.

    The file is parsed once with defusedxml, which refuses entity declarations and external references, so
    nothing is ever expanded or read from disk or network; NaN and infinite coordinates are refused here too.
    """
    try:
        root = defusedxml.ElementTree.parse(str(source), forbid_dtd=False).getroot()
    except defusedxml.DefusedXmlException as error:
        what = f"entity {error.name!r}" if getattr(error, "name", None) else type(error).__name__
        raise DrawingError(
            f"{source}: XML entities and external references are refused ({what}); save the SVG without a DTD"
        ) from None
    except ElementTree.ParseError as error:
        line, column = error.position
        raise DrawingError(f"{source}: line {line}, column {column}: not a well-formed SVG file ({error})") from None
    depth_of = {root: 1}
    by_id: dict[str, ElementTree.Element] = {}
    for element in root.iter():
        depth = depth_of.pop(element, 1)
        if depth > MAX_DEPTH:
            raise DrawingError(f"{source}: {_describe(element)}: elements nested more than {MAX_DEPTH} deep")
        for child in element:
            depth_of[child] = depth + 1
        if element.get("id"):
            by_id.setdefault(element.get("id"), element)
        for name in _NUMERIC_ATTRIBUTES:
            if _NOT_A_NUMBER.search(element.get(name) or ""):
                raise DrawingError(f"{source}: {_describe(element)}: {name}= holds a value that is not a number")
    sizes: dict[int, int] = {}

    def expanded(element: ElementTree.Element, chain: tuple[int, ...]) -> int:
        if id(element) in chain:
            raise DrawingError(f"{source}: {_describe(element)}: <use> refers to itself (directly or in a cycle)")
        if id(element) not in sizes:
            total = 1 + sum(expanded(child, (*chain, id(element))) for child in element)
            reference = next((element.get(key) for key in _HREFS if element.get(key)), None)
            if _tag(element) == "use" and reference and reference.startswith("#") and reference[1:] in by_id:
                total += expanded(by_id[reference[1:]], (*chain, id(element)))
            if total > MAX_EXPANDED_ELEMENTS:
                raise DrawingError(
                    f"{source}: {_describe(element)}: <use> expands to more than {MAX_EXPANDED_ELEMENTS:,} elements"
                )
            sizes[id(element)] = total
        return sizes[id(element)]

    try:
        expanded(root, ())
    except RecursionError:
        raise DrawingError(f"{source}: <use> references nested too deeply to expand") from None


__all__ = ["MAX_DEPTH", "MAX_EXPANDED_ELEMENTS", "MAX_POINTS", "check_svg_xml"]
