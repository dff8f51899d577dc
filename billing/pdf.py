"""Invoices as PDF: a small, valid PDF 1.4 writer (standard Type 1 fonts, text only), no dependency.

`render_pdf` takes pages of text runs and lays out the file with a correct cross-reference
table; `invoice_pdf` draws an invoice on A4 pages. Text is WinAnsi (cp1252): a character
outside it prints as "?", never breaks the file.
"""

import dataclasses

from billing import money

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 50
FONTS = {"regular": "Helvetica", "bold": "Helvetica-Bold", "mono": "Courier"}
FONT_KEYS = {"regular": "F1", "bold": "F2", "mono": "F3"}
COURIER_ADVANCE = 0.6  # Courier's glyphs are all 600/1000 em wide: right-aligning is arithmetic


@dataclasses.dataclass(frozen=True)
class Run:
    """One piece of text at (x, y) points from the bottom-left corner."""

    x: float
    y: float
    text: str
    size: float = 10
    font: str = "regular"


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return (
        raw.replace(b"\\", b"\\\\")
        .replace(b"(", b"\\(")
        .replace(b")", b"\\)")
        .replace(b"\r", b"")
        .replace(b"\n", b" ")
    )


def _content(runs: list[Run]) -> bytes:
    parts = []
    for run in runs:
        parts.append(
            b"BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET"
            % (FONT_KEYS[run.font].encode(), run.size, run.x, run.y, _escape(run.text))
        )
    return b"\n".join(parts)


def render_pdf(pages: list[list[Run]], *, title: str = "") -> bytes:
    """A PDF with one page per list of runs."""
    pages = pages or [[]]
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    tree = add(b"")
    fonts = {
        key: add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % name.encode()
        )
        for key, name in FONTS.items()
    }
    font_dict = b" ".join(b"/%s %d 0 R" % (FONT_KEYS[key].encode(), number) for key, number in fonts.items())
    kids = []
    for runs in pages:
        stream = _content(runs)
        contents = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << %s >> >> "
                b"/Contents %d 0 R >>" % (tree, PAGE_WIDTH, PAGE_HEIGHT, font_dict, contents)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    info = add(b"<< /Title (%s) /Producer (Pledge) >>" % _escape(title))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)


def _right(text: str, right_edge: float, y: float, size: float = 10) -> Run:
    return Run(x=right_edge - len(text) * size * COURIER_ADVANCE, y=y, text=text, size=size, font="mono")


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def invoice_pdf(*, invoice, lines, account_name: str, zone) -> bytes:
    """The invoice on A4: who, which month, each line, the totals and the credit carried."""
    currency = invoice.currency

    def amount(value) -> str:
        return f"{money.format_amount(value, currency)} {currency}"

    right = PAGE_WIDTH - MARGIN
    issued = invoice.issued_at.astimezone(zone)
    head = [
        Run(MARGIN, 790, "Pledge", 20, "bold"),
        Run(MARGIN, 770, f"Invoice #{invoice.pk}", 14, "bold"),
        Run(MARGIN, 748, f"Account: {_fit(account_name, 80)}"),
        Run(MARGIN, 734, f"Month: {invoice.month}    Plan: {_fit(invoice.plan_name, 60)}"),
        Run(MARGIN, 720, f"Issued: {issued:%Y-%m-%d %H:%M %Z}    Due: {invoice.due_on:%Y-%m-%d}"),
        Run(
            MARGIN,
            706,
            "Paid: " + (f"{invoice.paid_at.astimezone(zone):%Y-%m-%d}" if invoice.paid_at else "not yet"),
        ),
        Run(MARGIN, 680, "Description", 10, "bold"),
        _right("Amount", right, 680),
    ]
    pages, runs, y = [], head, 662
    for line in lines:
        if y < 150:
            pages.append(runs)
            runs, y = [Run(MARGIN, 790, f"Invoice #{invoice.pk} (continued)", 12, "bold")], 766
        runs.append(Run(MARGIN, y, _fit(line.description, 72), 9.5))
        runs.append(_right(amount(line.amount), right, y, 9.5))
        y -= 16
    y -= 10
    totals = [
        ("Subscription", invoice.subscription_amount),
        ("Voucher credits", -invoice.voucher_credits),
        ("Credit carried in", -invoice.carried_in),
        ("Credit applied", -invoice.credit_applied),
    ]
    for label, value in totals:
        runs.append(Run(330, y, label))
        runs.append(_right(amount(value), right, y))
        y -= 16
    runs.append(Run(330, y - 4, "Total due", 12, "bold"))
    runs.append(_right(amount(invoice.total), right, y - 4, 12))
    y -= 26
    if invoice.carried_out:
        runs.append(Run(330, y, "Credit carried to the next invoice"))
        runs.append(_right(amount(invoice.carried_out), right, y - 14))
    runs.append(
        Run(MARGIN, 60, "Amounts never go below zero: unused credit carries forward to the next invoice.", 8)
    )
    pages.append(runs)
    return render_pdf(pages, title=f"Invoice {invoice.pk} {invoice.month}")
