"""Documents rendered from HTML templates into PDF with WeasyPrint (Debian's Pango does the text).

One typeface (DejaVu Sans, with tabular figures so amounts line up) and A4 pages; the templates
are in templates/billing/documents/.
"""

from pathlib import Path

from django.template.loader import get_template
from weasyprint import CSS, HTML


def render_pdf(template: str, context: dict) -> bytes:
    """The template rendered to HTML, then laid out as a PDF with the stylesheet beside it
    (`invoice.html` -> `invoice.css`): no inline style, the same rule as every page."""
    found = get_template(template)
    stylesheet = Path(found.origin.name).with_suffix(".css")
    return HTML(string=found.render(context)).write_pdf(stylesheets=[CSS(filename=str(stylesheet))])


def statement_pdf(data: dict, *, month_name: str) -> bytes:
    return render_pdf("billing/documents/statement.html", {"s": data, "month_name": month_name})
