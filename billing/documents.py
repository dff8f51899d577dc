"""Documents rendered from HTML templates into PDF with WeasyPrint (Debian's Pango does the text).

One typeface (DejaVu Sans, with tabular figures so amounts line up) and A4 pages; the templates
are in templates/billing/documents/.
"""

from django.template.loader import render_to_string
from weasyprint import HTML


def render_pdf(template: str, context: dict) -> bytes:
    """The template rendered to HTML, then laid out as a PDF."""
    return HTML(string=render_to_string(template, context)).write_pdf()


def statement_pdf(data: dict, *, month_name: str) -> bytes:
    return render_pdf("billing/documents/statement.html", {"s": data, "month_name": month_name})
