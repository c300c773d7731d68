"""The project's own exception classes; the CLI and the app turn them into messages exactly once."""


class BatikError(Exception):
    """Base class of every error Batik Studio reports to a user.

    ``settings`` names the library parameters (``tolerance_mm``, ``y_down``) that would change the outcome, so the
    CLI or a page can point at its own option for them; the message itself speaks of the value, never of a flag.
    """

    def __init__(self, message: str, *, settings: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.settings = settings


class InputError(BatikError):
    """A user-supplied file or value cannot be used (names the file, line or element and what is allowed)."""


class DrawingError(InputError):
    """A drawing (G-code or SVG) cannot be read, or holds nothing to draw."""


class OptionError(InputError):
    """A setting is outside what is allowed: a method, a parameter, a time limit, a feed.

    The message names the value and what is allowed, never a command-line flag.
    """


class ImageError(InputError):
    """A file is not a usable image (not an image, truncated, too large)."""


class OutputError(InputError):
    """An output path cannot be written safely: a folder, a device, an input file, or a folder that is missing."""


class ModelError(BatikError):
    """A model folder is missing, incomplete or inconsistent."""


__all__ = ["BatikError", "DrawingError", "ImageError", "InputError", "ModelError", "OptionError", "OutputError"]
