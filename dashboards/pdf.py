"""PDF rendering with WeasyPrint, loaded lazily: the site (and `make run`) starts without
WeasyPrint's system libraries (Pango) or the CJK fonts; the PDF exports then answer what
is missing and how to install it, and the XLSX exports still work."""

import functools
import logging
from pathlib import Path

from django.core import checks
from django.utils.translation import gettext as _

# What the Debian/Ubuntu packages are called (README, "Dependencies").
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
FONT_PACKAGE = "fonts-noto-cjk"
FONT_FAMILY = "Noto Sans CJK SC"


class PdfUnavailable(Exception):
    """WeasyPrint cannot load here; the message says what is missing."""


@functools.cache
def _weasyprint():
    """The weasyprint module, or the text of why it cannot load (cached either way)."""
    # Its step-by-step progress (seven INFO lines a PDF) says nothing an operator needs.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango/GObject missing
        return str(exc)
    return weasyprint


def unavailable():
    """Why PDFs cannot be made here (translated), or "" when they can."""
    found = _weasyprint()
    if not isinstance(found, str):
        return ""
    return _("PDF export is unavailable: WeasyPrint could not load (%(error)s). Install the "
             "Python package weasyprint and the system libraries %(packages)s "
             "(apt-get install -y %(packages)s).") % {"error": found,
                                                      "packages": SYSTEM_PACKAGES}


# Where fontconfig looks by default on Linux (system-wide and local fonts).
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@functools.cache
def cjk_fonts_installed():
    """Whether a Noto Sans CJK font file is installed (Chinese text needs it)."""
    return any(next(folder.rglob("NotoSansCJK*"), None) for folder in FONT_DIRS
               if folder.is_dir())


def render(html, *, css="", base_url=None):
    """The PDF bytes of an HTML document with its print style sheet (`css`, given apart:
    the documents carry no style element); PdfUnavailable when WeasyPrint cannot load."""
    found = _weasyprint()
    if isinstance(found, str):
        raise PdfUnavailable(unavailable())
    stylesheets = [found.CSS(string=css)] if css else []
    return found.HTML(string=html, base_url=base_url).write_pdf(stylesheets=stylesheets)


def print_css():
    """The packs' A4 print style sheet, with the CJK font first."""
    from django.template.loader import render_to_string

    return render_to_string("dashboards/qbr/print.css", {"font_family": FONT_FAMILY})


def pdf_export_check(app_configs=None, **kwargs):
    """A warning at start-up when PDF export cannot work (the rest of the site does)."""
    if isinstance(_weasyprint(), str):
        return [checks.Warning(unavailable(), id="dashboards.W001")]
    if not cjk_fonts_installed():
        return [checks.Warning(
            f"The {FONT_FAMILY} font is not installed: Chinese text in PDF exports will not "
            f"render. Install it with apt-get install -y {FONT_PACKAGE}.",
            id="dashboards.W002")]
    return []
