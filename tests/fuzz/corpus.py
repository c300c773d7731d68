"""Seeded generators of odd, broken and hostile inputs: G-code, SVG and images, each a (name, bytes) pair.

Every generator takes a ``random.Random`` so a failing case is reproduced from its seed; the names say which
defect class a case belongs to, so a failure message points at the kind of input that broke.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

import numpy as np
from PIL import Image

# ---------------------------------------------------------------- G-code


def gcode_drawing(rng: random.Random, strokes: int = 6) -> str:
    """A valid pen-plotter program: strokes of G1 lines and G2/G3 arcs (I/J and R form) between pen lifts."""
    lines = ["%", "(generated)", "G21", "G90", "G0 Z5"]
    for _ in range(strokes):
        x, y = rng.uniform(0, 100), rng.uniform(0, 100)
        lines += [f"G0 X{x:.3f} Y{y:.3f}", "G1 Z-1 F300"]
        for _ in range(rng.randint(1, 5)):
            kind = rng.random()
            if kind < 0.6:
                x, y = x + rng.uniform(-20, 20), y + rng.uniform(-20, 20)
                lines.append(f"G1 X{x:.3f} Y{y:.3f} F{rng.choice([300, 600, 1200])}")
            elif kind < 0.8:
                i, j = rng.uniform(-10, 10), rng.uniform(-10, 10)
                lines.append(f"G{rng.choice([2, 3])} X{x + 2 * i:.4f} Y{y + 2 * j:.4f} I{i:.4f} J{j:.4f}")
                x, y = x + 2 * i, y + 2 * j
            else:
                dx, dy = rng.uniform(1, 10), rng.uniform(1, 10)
                radius = np.hypot(dx, dy) * rng.uniform(0.6, 3)
                lines.append(f"G{rng.choice([2, 3])} X{x + dx:.4f} Y{y + dy:.4f} R{radius:.4f}")
                x, y = x + dx, y + dy
        lines.append("G0 Z5")
    lines += ["G0 X0 Y0", "M2", "%"]
    return "\n".join(lines) + "\n"


#: Single lines that each exercise one parser rule (numbers, arcs, modes, words, comments).
GCODE_ODD_LINES = (
    "G1 X1" + "9" * 400,
    "G1 F" + "9" * 400,
    "G1 X" + "1" * 320 + ".5",
    "G1 Xnan Y1",
    "G1 X1e5 Y1",
    "G1 X-1000001",
    "G2 X20 Y20 R0",
    "G2 X20.0000001 Y20 R0.00000005",
    "G2 X1 Y0 I1000000 J0",
    "G2 X0 Y0 I0 J0",
    "G2 X10 Y10",
    "G3 X10 Y10 I1 J1 R2",
    "G1 X1 X2",
    "G18",
    "G19 G2 X1 Z1 I1 K1",
    "G91 G1 X900000",
    "G20",
    "G1 A5",
    "(unclosed comment",
    "G1 X1 ;",
    "N10 G1 X2 Y2",
    "/G1 X3 Y3",
    "M3 S1000",
    "G4 P1",
    "G28",
    "X",
    "G1 X1..2",
    "G1 X--1",
    "\t",
    "G1 X1 Y1 Z-1 F0",
    "G1 X1 Y1 F-5",
    "GG1",
    "G999",
)


def gcode_full_circles(count: int, radius_mm: float) -> str:
    """``count`` full circles of one radius, each its own stroke (arc flattening under load)."""
    lines = ["G21", "G90", "G0 Z5"]
    for k in range(count):
        x = (k % 50) * 10.0
        lines += [f"G0 X{x:.1f} Y0", "G1 Z-1 F300", f"G2 X{x:.1f} Y0 I{radius_mm:g} J0", "G0 Z5"]
    return "\n".join(lines + ["M2"]) + "\n"


def gcode_g91_walk(steps: int, step_mm: float) -> str:
    """A relative-mode stroke of ``steps`` equal steps: its end lies ``steps * step_mm`` from the origin."""
    lines = ["G21", "G91", "G0 Z5", "G1 Z-6 F300"]
    lines += [f"G1 X{step_mm:g}" for _ in range(steps)]
    return "\n".join(lines + ["G0 Z6", "M2"]) + "\n"


def mutate_bytes(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """One random damage to ``data``: truncation, bit flips, a deleted or repeated chunk, or inserted junk."""
    kind = rng.choice(["truncated", "bitflip", "deleted", "repeated", "junk"])
    if not data:
        return "empty", b""
    if kind == "truncated":
        return kind, data[: rng.randrange(len(data))]
    if kind == "bitflip":
        mutable = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(mutable))
            mutable[position] ^= 1 << rng.randrange(8)
        return kind, bytes(mutable)
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 64))
    if kind == "deleted":
        return kind, data[:start] + data[end:]
    if kind == "repeated":
        return kind, data[:end] + data[start:end] * rng.randint(2, 20) + data[end:]
    return kind, data[:start] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 32))) + data[start:]


def encodings(text: str) -> list[tuple[str, bytes]]:
    """The same text as UTF-8 with a BOM, UTF-16 LE and BE (with BOM), CRLF and CR line ends, Latin-1."""
    return [
        ("utf8-bom", b"\xef\xbb\xbf" + text.encode()),
        ("utf16", text.encode("utf-16")),
        ("utf16-be", b"\xfe\xff" + text.encode("utf-16-be")),
        ("crlf", text.replace("\n", "\r\n").encode()),
        ("cr", text.replace("\n", "\r").encode()),
        ("latin1-comment", text.replace("(generated)", "(g\xe9n\xe9r\xe9)").encode("latin-1")),
    ]


def gcode_corpus(seed: int, variants: int) -> list[tuple[str, bytes]]:
    """Valid drawings, each odd line in a valid drawing, damaged copies and other encodings; all seeded."""
    rng = random.Random(seed)
    cases: list[tuple[str, bytes]] = []
    for k in range(variants):
        text = gcode_drawing(rng, strokes=rng.randint(1, 8))
        cases.append((f"gcode-valid-{k}", text.encode()))
        kind, data = mutate_bytes(rng, text.encode())
        cases.append((f"gcode-{kind}-{k}", data))
    for k, odd in enumerate(GCODE_ODD_LINES):
        lines = gcode_drawing(rng, strokes=2).splitlines()
        lines.insert(rng.randint(5, len(lines) - 2), odd)
        cases.append((f"gcode-odd-line-{k}", ("\n".join(lines) + "\n").encode()))
    for name, data in encodings(gcode_drawing(rng, strokes=3)):
        cases.append((f"gcode-{name}", data))
    cases += [
        ("gcode-empty", b""),
        ("gcode-blank", b"\n\n  \n"),
        ("gcode-nul", b"G1 X1\x00 Y2\n"),
        ("gcode-binary", bytes(rng.randrange(256) for _ in range(512))),
        ("gcode-g91-beyond-limit", gcode_g91_walk(20, 90_000).encode()),
        ("gcode-arc-centre-beyond-limit", b"G21\nG90\nG0 Z5\nG0 X900000\nG1 Z-1\nG2 X900001 Y0 I900000 J0\nG0 Z5\n"),
        ("gcode-pen-down-at-end", b"G21\nG0 Z5\nG1 Z-1\nG1 X5 Y5\n"),
    ]
    return cases


# ---------------------------------------------------------------- SVG

_SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def _svg_shape(rng: random.Random) -> str:
    x, y = rng.uniform(0, 90), rng.uniform(0, 90)
    kind = rng.choice(["path", "rect", "circle", "ellipse", "line", "polyline", "polygon"])
    if kind == "path":
        commands = [f"M{x:.2f},{y:.2f}"]
        for _ in range(rng.randint(1, 5)):
            c = rng.choice("LCQAHVSTZ")
            p = [f"{rng.uniform(0, 100):.2f}" for _ in range(6)]
            commands.append(
                {
                    "L": f"L{p[0]},{p[1]}",
                    "C": f"C{p[0]},{p[1]} {p[2]},{p[3]} {p[4]},{p[5]}",
                    "Q": f"Q{p[0]},{p[1]} {p[2]},{p[3]}",
                    "A": f"A{rng.uniform(0, 30):.2f},{rng.uniform(0, 30):.2f} {rng.randint(0, 90)} "
                    f"{rng.randint(0, 1)},{rng.randint(0, 1)} {p[0]},{p[1]}",
                    "H": f"H{p[0]}",
                    "V": f"V{p[1]}",
                    "S": f"S{p[0]},{p[1]} {p[2]},{p[3]}",
                    "T": f"T{p[0]},{p[1]}",
                    "Z": "Z",
                }[c]
            )
        return f'<path d="{" ".join(commands)}"/>'
    if kind == "rect":
        return f'<rect x="{x:.2f}" y="{y:.2f}" width="{rng.uniform(0, 20):.2f}" height="{rng.uniform(0, 20):.2f}"/>'
    if kind == "circle":
        return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{rng.uniform(0, 15):.2f}"/>'
    if kind == "ellipse":
        return f'<ellipse cx="{x:.2f}" cy="{y:.2f}" rx="{rng.uniform(0, 15):.2f}" ry="{rng.uniform(0, 15):.2f}"/>'
    if kind == "line":
        return f'<line x1="{x:.2f}" y1="{y:.2f}" x2="{rng.uniform(0, 100):.2f}" y2="{rng.uniform(0, 100):.2f}"/>'
    points = " ".join(f"{rng.uniform(0, 100):.2f},{rng.uniform(0, 100):.2f}" for _ in range(rng.randint(2, 6)))
    return f'<{kind} points="{points}"/>'


def svg_drawing(rng: random.Random, shapes: int = 8) -> str:
    """A valid SVG in mm with shapes, groups and transforms."""
    body = []
    for _ in range(shapes):
        shape = _svg_shape(rng)
        if rng.random() < 0.3:
            transform = rng.choice(
                ["translate(5,5)", "rotate(30 50 50)", "scale(0.5)", "matrix(1 0.2 0 1 0 0)", "skewX(10)"]
            )
            shape = f'<g transform="{transform}">{shape}</g>'
        body.append(shape)
    return (
        f'{_SVG_OPEN} width="100mm" height="100mm" viewBox="0 0 100 100" fill="none" stroke="black">'
        + "".join(body)
        + "</svg>\n"
    )


def svg_use_fanout(levels: int, fan: int) -> str:
    """``levels`` groups each holding ``fan`` uses of the one below: ``fan ** levels`` copies of one line."""
    defs = ['<g id="l0"><line x1="0" y1="0" x2="1" y2="1"/></g>']
    for level in range(1, levels + 1):
        uses = "".join(f'<use xlink:href="#l{level - 1}"/>' for _ in range(fan))
        defs.append(f'<g id="l{level}">{uses}</g>')
    return f'{_SVG_OPEN}><defs>{"".join(defs)}</defs><use xlink:href="#l{levels}"/></svg>'


def svg_nested_groups(depth: int) -> str:
    """One line inside ``depth`` nested groups."""
    return f'{_SVG_OPEN}>{"<g>" * depth}<line x1="0" y1="0" x2="5" y2="5"/>{"</g>" * depth}</svg>'


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(8))
    + f"]>{_SVG_OPEN}><text>&i;</text><line x1='0' y1='0' x2='1' y2='1'/></svg>"
)


def svg_external_entity(secret_path: str) -> str:
    """An SVG whose entity would read ``secret_path`` if expanded."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY leak SYSTEM "file://{secret_path}">]>'
        f"{_SVG_OPEN}><desc>&leak;</desc><line x1='0' y1='0' x2='1' y2='1'/></svg>"
    )


SVG_ODD = {
    "use-self": f'{_SVG_OPEN}><g id="a"><use xlink:href="#a"/><line x1="0" y1="0" x2="1" y2="1"/></g></svg>',
    "use-mutual": f'{_SVG_OPEN}><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>'
    '<line x1="0" y1="0" x2="1" y2="1"/></svg>',
    "use-missing": f'{_SVG_OPEN}><use href="#nowhere"/><line x1="0" y1="0" x2="1" y2="1"/></svg>',
    "polyline-nan": f'{_SVG_OPEN}><polyline points="0,0 nan,1 2,2"/></svg>',
    "circle-inf": f'{_SVG_OPEN}><circle cx="1" cy="1" r="inf"/></svg>',
    "huge-coordinates": f'{_SVG_OPEN}><line x1="0" y1="0" x2="1e308" y2="1e308"/></svg>',
    "beyond-limit": f'{_SVG_OPEN} width="100mm" viewBox="0 0 1 1"><line x1="0" y1="0" x2="1e7" y2="0"/></svg>',
    "zero-matrix": f'{_SVG_OPEN}><g transform="matrix(0 0 0 0 0 0)"><line x1="0" y1="0" x2="1" y2="1"/></g></svg>',
    "bad-transform": f'{_SVG_OPEN}><g transform="rotate()"><line x1="0" y1="0" x2="1" y2="1"/></g></svg>',
    "scale-zero": f'{_SVG_OPEN}><g transform="scale(0)"><circle cx="5" cy="5" r="2"/></g></svg>',
    "viewbox-zero": f'{_SVG_OPEN} width="10mm" height="10mm" viewBox="0 0 0 0"><circle cx="5" cy="5" r="2"/></svg>',
    "arc-zero-radius": f'{_SVG_OPEN}><path d="M0,0 A0,0 0 0,1 10,10"/></svg>',
    "arc-tiny-radius": f'{_SVG_OPEN}><path d="M0,0 A1e-12,1e-12 0 0,1 1e-12,0"/></svg>',
    "circle-negative": f'{_SVG_OPEN}><circle cx="5" cy="5" r="-3"/></svg>',
    "no-shapes": f"{_SVG_OPEN}><text>hello</text></svg>",
    "not-svg-root": "<html><body><line x1='0' y1='0' x2='1' y2='1'/></body></html>",
    "bad-path-data": f'{_SVG_OPEN}><path d="M0,0 L Q Z 7 X"/></svg>',
    "unclosed": f'{_SVG_OPEN}><line x1="0" y1="0" x2="1" y2="1">',
    "hidden-only": f'{_SVG_OPEN}><line visibility="hidden" x1="0" y1="0" x2="1" y2="1"/></svg>',
    "huge-circles-path": f'{_SVG_OPEN}><path d="'
    + " ".join("M0,0 A1e6,1e6 0 1,1 0.001,0" for _ in range(60))
    + '"/></svg>',
}


def svg_corpus(seed: int, variants: int, secret_path: str) -> list[tuple[str, bytes]]:
    """Valid drawings, damaged copies, encodings and the hostile cases above; all seeded."""
    rng = random.Random(seed)
    cases: list[tuple[str, bytes]] = []
    for k in range(variants):
        text = svg_drawing(rng, shapes=rng.randint(1, 10))
        cases.append((f"svg-valid-{k}", text.encode()))
        kind, data = mutate_bytes(rng, text.encode())
        cases.append((f"svg-{kind}-{k}", data))
    for name, data in encodings(svg_drawing(rng, shapes=4)):
        cases.append((f"svg-{name}", data))
    cases += [(f"svg-{name}", text.encode()) for name, text in SVG_ODD.items()]
    cases += [
        ("svg-use-fanout", svg_use_fanout(6, 10).encode()),
        ("svg-nested-5000", svg_nested_groups(5000).encode()),
        ("svg-billion-laughs", BILLION_LAUGHS.encode()),
        ("svg-external-entity", svg_external_entity(secret_path).encode()),
    ]
    return cases


# ---------------------------------------------------------------- images


def photo(rng: random.Random, size: tuple[int, int] = (96, 72)) -> Image.Image:
    """A small textured RGB photo."""
    pixels = np.random.default_rng(rng.randrange(2**32)).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header announcing ``width x height`` pixels with a few bytes of compressed data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    data = compressor.compress(b"\x00" * (1 << 20)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def image_corpus(seed: int, variants: int) -> list[tuple[str, bytes]]:
    """Valid photos of every mode and format, damaged copies, CMYK, 16-bit, animated, mislabelled and bombs."""
    rng = random.Random(seed)
    cases: list[tuple[str, bytes]] = []
    for k in range(variants):
        fmt, suffix = rng.choice([("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("BMP", "bmp"), ("TIFF", "tif")])
        data = _encode(photo(rng), fmt)
        cases.append((f"image-valid-{k}.{suffix}", data))
        kind, damaged = mutate_bytes(rng, data)
        cases.append((f"image-{kind}-{k}.{suffix}", damaged))
    base = photo(rng)
    frames = [photo(rng) for _ in range(3)]
    animated = io.BytesIO()
    frames[0].save(animated, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    sixteen = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
    cases += [
        ("image-cmyk.jpg", _encode(base.convert("CMYK"), "JPEG")),
        ("image-16bit.png", _encode(sixteen, "PNG")),
        ("image-rgba.png", _encode(base.convert("RGBA"), "PNG")),
        ("image-palette.png", _encode(base.convert("P"), "PNG")),
        ("image-la.png", _encode(base.convert("LA"), "PNG")),
        ("image-1bit.png", _encode(base.convert("1"), "PNG")),
        ("image-animated.gif", animated.getvalue()),
        ("image-1x1.png", _encode(Image.new("RGB", (1, 1), (200, 30, 30)), "PNG")),
        ("image-png-named.jpg", _encode(base, "PNG")),
        ("image-text-named.jpg", b"this is not a photo\n"),
        ("image-svg-named.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("image-empty.jpg", b""),
        ("image-bomb.png", png_bomb(100_000, 100_000)),
        ("image-wide-bomb.png", png_bomb(2_000_000_000, 1)),
        ("image-header-only.jpg", _encode(base, "JPEG")[:200]),
    ]
    return cases
