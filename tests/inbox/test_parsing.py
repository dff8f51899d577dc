"""Raw inbound mail into plain values: what is accepted, what is refused and why, which ticket it answers."""

import time
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from helpdesk.inbox.parsing import (
    MAX_MIME_DEPTH,
    MAX_MIME_PARTS,
    DroppedMail,
    InboundMail,
    RejectedMail,
    auto_submitted_reason,
    html_to_text,
    is_own_message_id,
    normalise_message_id,
    parse_message,
    strip_reply,
)
from helpdesk.inbox.threading import (
    make_message_id,
    reply_address,
    ticket_id_from_reply_address,
    ticket_number_from_subject,
    ticket_reference,
)

SUPPORT = "support@example.com"
ID_DOMAIN = "mail.pledge.example.com"
SECRET = "a test secret, not the production one"


def parse(raw: bytes, **overrides) -> InboundMail:
    options = {"max_bytes": 1_000_000, "own_addresses": {SUPPORT}, "own_message_id_domain": ID_DOMAIN}
    return parse_message(raw, **(options | overrides))


def raw_mail(body: str = "Hello, the printer is on fire.\n", **headers: str) -> bytes:
    fields = {
        "From": "Ann Example <ann@customer.test>",
        "To": SUPPORT,
        "Subject": "Printer",
        "Message-ID": "<m1@customer.test>",
        "Date": "Tue, 03 Jun 2025 10:12:00 +0200",
    }
    fields |= {name.replace("_", "-"): value for name, value in headers.items()}
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode()


def rejected(raw: bytes, **overrides) -> RejectedMail:
    with pytest.raises(RejectedMail) as caught:
        parse(raw, **overrides)
    return caught.value


def dropped(raw: bytes) -> DroppedMail:
    with pytest.raises(DroppedMail) as caught:
        parse(raw)
    return caught.value


# --- what a good mail becomes ---


def test_a_plain_mail_becomes_plain_values():
    mail = parse(
        raw_mail(
            From="Ann Example <Ann@Customer.TEST>",
            To="Pledge Support <support@example.com>, bob@customer.test",
            Cc="carol@customer.test",
            Message_ID="<CAB1x.2@Mail.Customer.TEST>",
            Received="from mx.example.com by imap; Tue, 03 Jun 2025 08:12:05 +0000",
        )
    )

    assert mail.sender == "Ann@customer.test"
    assert mail.sender_name == "Ann Example"
    assert mail.to == ("support@example.com", "bob@customer.test")
    assert mail.cc == ("carol@customer.test",)
    assert mail.subject == "Printer"
    assert mail.message_id == "CAB1x.2@mail.customer.test"
    assert mail.date == datetime(2025, 6, 3, 8, 12, tzinfo=UTC)
    assert mail.received_at == datetime(2025, 6, 3, 8, 12, 5, tzinfo=UTC)
    assert mail.text == "Hello, the printer is on fire."
    assert mail.reply_text == "Hello, the printer is on fire."
    assert mail.attachments == ()
    assert len(mail.digest) == 64


def test_a_mail_without_date_or_with_a_bad_one_has_none():
    assert parse(raw_mail(Date=None)).date is None
    assert parse(raw_mail(Date="the day after tomorrow")).date is None
    assert parse(raw_mail()).received_at is None


def test_an_html_only_mail_is_read_as_text_without_markup():
    html = (
        "<html><head><style>p { color: red }</style><title>x</title></head><body>"
        "<p>The export&nbsp;fails &amp; the log says:</p><ul><li>error 42</li><li>error 43</li></ul>"
        "<script>alert('hi')</script><p>Ann</p></body></html>"
    )
    message = EmailMessage()
    message["From"] = "ann@customer.test"
    message["To"] = SUPPORT
    message["Subject"] = "Export"
    message.set_content(html, subtype="html")

    mail = parse(message.as_bytes())

    assert mail.text == "The export fails & the log says:\n\n- error 42\n- error 43\n\nAnn"
    assert "<" not in mail.text and "alert" not in mail.text and "color" not in mail.text


def test_an_html_reply_from_gmail_loses_its_quoted_history():
    message = EmailMessage()
    message["From"] = "ann@customer.test"
    message["To"] = SUPPORT
    message["Subject"] = "Re: [#12] Export"
    message.set_content(
        '<div dir="ltr">Thanks, that works.</div><br><div class="gmail_quote"><div class="gmail_attr">'
        "On Tue, Jun 3, 2025 at 9:00\u202fAM Pledge &lt;support@example.com&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Please try the export again.<br>Pledge</blockquote></div>',
        subtype="html",
    )

    mail = parse(message.as_bytes())

    assert "> Please try the export again." in mail.text
    assert mail.reply_text == "Thanks, that works."


def test_multipart_mail_prefers_the_plain_body_and_keeps_the_attachments():
    message = EmailMessage()
    message["From"] = "ann@customer.test"
    message["To"] = SUPPORT
    message["Subject"] = "Logs attached"
    message.set_content("The logs are attached.\n")
    message.add_alternative("<p>The <b>logs</b> are attached.</p>", subtype="html")
    message.add_attachment(
        b"%PDF-1.4 report", maintype="application", subtype="pdf", filename="../../etc/rep\x07ort.pdf"
    )
    message.add_attachment(b"\x89PNG image", maintype="image", subtype="png")
    message.add_attachment("a,b\n1,2\n", subtype="csv", filename="C:\\Users\\ann\\data.csv")
    forwarded = EmailMessage()
    forwarded["From"] = "bob@customer.test"
    forwarded["Subject"] = "the original"
    forwarded.set_content("first seen here\n")
    message.add_attachment(forwarded)

    mail = parse(message.as_bytes())

    assert mail.text == "The logs are attached."
    assert [(name, kind) for name, kind, _ in mail.attachments] == [
        ("report.pdf", "application/pdf"),
        ("attachment.png", "image/png"),
        ("data.csv", "text/csv"),
        ("attachment.eml", "message/rfc822"),
    ]
    assert mail.attachments[0].content == b"%PDF-1.4 report"
    assert mail.attachments[1].content == b"\x89PNG image"
    assert mail.attachments[2].content.replace(b"\r\n", b"\n") == b"a,b\n1,2\n"
    assert b"first seen here" in mail.attachments[3].content


def test_a_long_attachment_name_is_bounded_and_keeps_its_extension():
    message = EmailMessage()
    message["From"] = "ann@customer.test"
    message.set_content("see attached\n")
    message.add_attachment(b"x", maintype="application", subtype="zip", filename="a" * 300 + ".zip")

    (attachment,) = parse(message.as_bytes()).attachments

    assert len(attachment.filename) == 120
    assert attachment.filename.endswith("aaa.zip")


def test_a_body_in_a_charset_python_does_not_know_is_still_read():
    raw = raw_mail("caf\xe9 ok\n").replace(
        b"Date:", b"Content-Type: text/plain; charset=x-unheard-of\r\nDate:"
    )

    assert parse(raw).text.startswith("caf")


# --- the reply's new words ---


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            "It works now.\n\nOn Tue, 3 Jun 2025 at 10:12, Pledge Support <support@example.com> wrote:\n"
            "> Please restart it.\n> Pledge\n",
            id="gmail",
        ),
        pytest.param(
            "It works now.\n\nOn Tue, 3 Jun 2025 at 10:12, Pledge Support <support@example.com>\nwrote:\n"
            "> Please restart it.\n",
            id="gmail-wrapped-attribution",
        ),
        pytest.param(
            "It works now.\n\nFrom: Pledge Support <support@example.com>\n"
            "Sent: Tuesday, June 3, 2025 10:12 AM\n"
            "To: Ann Example <ann@customer.test>\nSubject: RE: [#12] Printer\n\nPlease restart it.\n",
            id="outlook",
        ),
        pytest.param(
            "It works now.\n\n________________________________\nFrom: Pledge Support <support@example.com>\n"
            "Sent: Tuesday, June 3, 2025 10:12 AM\nTo: Ann\nSubject: RE: Printer\n\nPlease restart it.\n",
            id="outlook-with-rule",
        ),
        pytest.param(
            "It works now.\n\n-----Original Message-----\nFrom: Pledge\nSent: today\n\nPlease restart it.\n",
            id="original-message",
        ),
        pytest.param("It works now.\n\n> Please restart it.\n> Pledge\n", id="bare-quote"),
        pytest.param("It works now.\n\n-- \nAnn Example\nACME Ltd, Printer Dept.\n", id="signature"),
        pytest.param("It works now.\n\nSent from my iPhone\n", id="mobile"),
        pytest.param("It works now.\n\nBest regards,\nAnn\n", id="regards"),
    ],
)
def test_quoted_history_and_signatures_are_stripped(body):
    mail = parse(raw_mail(body))

    assert mail.reply_text == "It works now."
    assert mail.text.startswith("It works now.\n")


def test_answers_between_quoted_lines_and_lists_are_kept():
    body = "> Which version?\n2.3\n> Which system?\nDebian\n\nWhat I tried:\n- a restart\n- a new cable\n"

    assert parse(raw_mail(body)).reply_text == (
        "> Which version?\n2.3\n> Which system?\nDebian\n\nWhat I tried:\n- a restart\n- a new cable"
    )


def test_other_languages_are_stripped_when_asked_for():
    body = (
        "Danke, geht.\n\nAm Di., 3. Juni 2025 um 10:12 Uhr schrieb Pledge <support@example.com>:\n> Bitte.\n"
    )

    assert parse(raw_mail(body), reply_languages=("en", "de")).reply_text == "Danke, geht."


def test_a_reply_that_is_only_quotation_has_no_new_words():
    assert strip_reply("> Please restart it.\n> Pledge\n") == ""


# --- auto-replies and loops are dropped ---


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("Auto-Submitted", "auto-replied", "auto_submitted"),
        ("Auto-Submitted", "auto-generated; owner-email=it@customer.test", "auto_submitted"),
        ("Auto-Submitted", "auto-notified", "auto_submitted"),
        ("Precedence", "bulk", "precedence"),
        ("Precedence", "Junk", "precedence"),
        ("Precedence", "list", "precedence"),
        ("X-Autoreply", "yes", "x_autoreply"),
        ("X-Autorespond", "Out of office", "x_autorespond"),
        ("Return-Path", "<>", "null_return_path"),
        ("From", "Mail Delivery System <MAILER-DAEMON@mx.customer.test>", "mailer_daemon"),
        ("From", "postmaster@customer.test", "mailer_daemon"),
    ],
)
def test_auto_replies_are_dropped(header, value, reason):
    raw = raw_mail(**{header.replace("-", "_"): value})

    assert dropped(raw).reason_code == reason


@pytest.mark.parametrize(("header", "value"), [("Auto-Submitted", "no"), ("Precedence", "first-class")])
def test_a_person_writing_is_not_an_auto_reply(header, value):
    assert parse(raw_mail(**{header.replace("-", "_"): value})).sender == "ann@customer.test"


def test_auto_submitted_reason_reads_any_message():
    message = EmailMessage()
    message["From"] = "ann@customer.test"
    assert auto_submitted_reason(message) is None
    message["Auto-Submitted"] = "auto-replied"
    assert auto_submitted_reason(message) == "auto_submitted"


@pytest.mark.parametrize(
    "sender", ["support@example.com", "Pledge <SUPPORT@Example.com>", "support+t12.abcdefghijkl@example.com"]
)
def test_mail_from_pledges_own_address_is_dropped(sender):
    assert dropped(raw_mail(From=sender)).reason_code == "own_address"


def test_mail_carrying_a_message_id_pledge_made_is_dropped():
    own_id = make_message_id(ID_DOMAIN, 12, 34)

    assert dropped(raw_mail(Message_ID=own_id)).reason_code == "own_message_id"


def test_a_reply_to_pledges_mail_is_not_a_loop():
    own_id = make_message_id(ID_DOMAIN, 12, 34)

    mail = parse(raw_mail(In_Reply_To=own_id, References=own_id))

    assert mail.in_reply_to == normalise_message_id(own_id)


# --- bad mail is rejected with a reason ---


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        (None, "no_sender"),
        ("", "no_sender"),
        ("not an address", "bad_sender"),
        ("ann@customer.test, bob@customer.test", "bad_sender"),
        ("undisclosed-recipients:;", "bad_sender"),
        ("ann@localhost", "bad_sender"),
    ],
)
def test_mail_without_one_real_sender_is_rejected(sender, reason):
    assert rejected(raw_mail(From=sender)).reason_code == reason


def test_a_fifty_megabyte_mail_is_rejected_before_it_is_parsed():
    raw = raw_mail() + b"x" * (50 * 1024 * 1024)

    error = rejected(raw, max_bytes=25 * 1024 * 1024)

    assert error.reason_code == "too_large"
    assert "26214400" in error.detail


def multipart(boundary_header: str, body: str) -> bytes:
    return raw_mail(body, MIME_Version="1.0", Content_Type=boundary_header)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(multipart("multipart/mixed", "--x\nhello\n--x--\n"), id="no-boundary"),
        pytest.param(multipart("multipart/mixed; boundary=zz", "--x\nhello\n"), id="boundary-never-seen"),
    ],
)
def test_a_broken_mime_tree_is_rejected(raw):
    assert rejected(raw).reason_code == "malformed_mime"


def test_mime_nested_too_deep_is_rejected():
    message = EmailMessage()
    message.set_content("deepest\n")
    for _ in range(MAX_MIME_DEPTH + 1):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(message)
        message = outer
    message["From"] = "ann@customer.test"

    assert "deeper" in rejected(message.as_bytes()).detail


def test_mime_with_too_many_parts_is_rejected():
    message = EmailMessage()
    message["From"] = "ann@customer.test"
    message.set_content("hello\n")
    for number in range(MAX_MIME_PARTS):
        message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{number}.bin")

    assert "parts" in rejected(message.as_bytes()).detail


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            raw_mail(Subject="=?utf-8?q?Hello=0D=0ABcc:_victim@elsewhere.test?="), id="encoded-crlf"
        ),
        pytest.param(
            raw_mail(Subject="=?utf-8?b?SGVsbG8KQmNjOiB2aWN0aW1AZWxzZXdoZXJlLnRlc3Q=?="), id="encoded-lf"
        ),
        pytest.param(raw_mail(From="=?utf-8?q?Ann=0D=0A?= <ann@customer.test>"), id="in-display-name"),
        pytest.param(raw_mail(Subject="Hello\rBcc: victim@elsewhere.test"), id="bare-cr"),
        pytest.param(raw_mail(Subject="Hello\nBcc: victim@elsewhere.test"), id="bare-lf-among-crlf"),
        pytest.param(raw_mail(Subject="Hello\0"), id="nul"),
    ],
)
def test_line_breaks_smuggled_into_headers_are_rejected(raw):
    assert rejected(raw).reason_code == "header_injection"


def test_a_second_from_header_is_rejected():
    raw = raw_mail().replace(b"To:", b"From: mallory@elsewhere.test\r\nTo:")

    assert rejected(raw).reason_code == "duplicate_header"


def test_a_mail_with_lf_line_endings_throughout_is_fine():
    assert parse(raw_mail().replace(b"\r\n", b"\n")).subject == "Printer"


def test_the_subject_is_one_bounded_line_of_printable_text():
    folded = "A very long subject that a client\r\n folded onto\r\n\ta third line"

    assert (
        parse(raw_mail(Subject=folded)).subject
        == "A very long subject that a client folded onto a third line"
    )
    assert parse(raw_mail(Subject="Bell\x07 and\ttab \u202eevil")).subject == "Bell and tab evil"
    assert len(parse(raw_mail(Subject="x" * 1000)).subject) == 255
    assert parse(raw_mail(Subject="x" * 1000), max_subject_chars=80).subject == "x" * 80


# --- Message-IDs ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<ABC.123@Mail.Example.COM>", "ABC.123@mail.example.com"),
        ("  <a@b.test>  ", "a@b.test"),
        ("a@b.test", "a@b.test"),
        ("<a@b.test> (a comment)", "a@b.test"),
        ("", None),
        (None, None),
        ("<>", None),
        ("a b@c.test", None),
        ("<" + "x" * 300 + "@b.test>", None),
        ("a\x01@b.test", None),
        ("<Re:-[#12]-odd@Customer.TEST>", "Re:-[#12]-odd@customer.test"),
    ],
)
def test_message_ids_are_normalised(value, expected):
    assert normalise_message_id(value) == expected


def test_threading_headers_are_read_nearest_first():
    mail = parse(
        raw_mail(
            In_Reply_To="<C@x.test> <other@x.test>",
            References="<A@X.test> <b@x.test>\r\n <C@x.test> <b@x.test>",
        )
    )

    assert mail.in_reply_to == "C@x.test"
    assert mail.references == ("A@x.test", "b@x.test", "C@x.test")
    assert mail.thread_ids == ("C@x.test", "b@x.test", "A@x.test")


def test_pledges_message_ids_are_unguessable_and_recognisable():
    first, second = make_message_id(ID_DOMAIN, 12, 34), make_message_id(ID_DOMAIN, 12, 34)

    assert first != second
    assert first.startswith("<pledge.12.34.") and first.endswith(f"@{ID_DOMAIN}>")
    assert is_own_message_id(first, ID_DOMAIN)
    assert is_own_message_id(normalise_message_id(first), ID_DOMAIN)
    assert is_own_message_id(first.replace(ID_DOMAIN, ID_DOMAIN.upper()), ID_DOMAIN)
    assert not is_own_message_id(first, "elsewhere.test")
    assert not is_own_message_id(f"<pledge.12.34@{ID_DOMAIN}>", ID_DOMAIN)
    with pytest.raises(ValueError):
        make_message_id("not a domain", 1, 1)


# --- which ticket a reply answers ---


def test_a_reply_address_names_its_ticket():
    address = reply_address(SUPPORT, 123, SECRET)

    assert address.startswith("support+t123.") and address.endswith("@example.com")
    assert ticket_id_from_reply_address(address, support_address=SUPPORT, secret=SECRET) == 123
    # Some relays change the case of the whole address.
    assert ticket_id_from_reply_address(address.upper(), support_address=SUPPORT, secret=SECRET) == 123


def test_a_forged_reply_address_names_no_ticket():
    address = reply_address(SUPPORT, 123, SECRET)
    token = address.split(".", 1)[1].split("@")[0]
    forgeries = [
        address.replace("t123.", "t124."),  # someone else's ticket with this token
        f"support+t124.{token[:-1]}{'a' if token[-1] != 'a' else 'b'}@example.com",
        "support+t123.aaaaaaaaaaaa@example.com",
        address.replace("@example.com", "@elsewhere.test"),
        address.replace("support+", "sales+"),
        "support@example.com",
        "support+t123@example.com",
        "not an address",
    ]

    for forgery in forgeries:
        assert ticket_id_from_reply_address(forgery, support_address=SUPPORT, secret=SECRET) is None, forgery
    assert ticket_id_from_reply_address(address, support_address=SUPPORT, secret="another secret") is None


def test_a_reply_address_needs_a_plain_support_address_a_ticket_and_a_secret():
    with pytest.raises(ValueError):
        reply_address("support+x@example.com", 1, SECRET)
    with pytest.raises(ValueError):
        reply_address(SUPPORT, 0, SECRET)
    with pytest.raises(ValueError):
        reply_address(SUPPORT, 1, "")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Re: [#123] Printer", 123), ("[#7]", 7), ("#123 Printer", None), ("[#0] Printer", None), ("", None)],
)
def test_a_ticket_number_in_the_subject(subject, expected):
    assert ticket_number_from_subject(subject) == expected


def tokens(address: str) -> int | None:
    return ticket_id_from_reply_address(address, support_address=SUPPORT, secret=SECRET)


def test_a_signed_address_wins_over_threading_and_the_subject():
    raw = raw_mail(
        To=reply_address(SUPPORT, 5, SECRET), Subject="Re: [#6] x", In_Reply_To="<sent@pledge.test>"
    )

    reference = ticket_reference(parse(raw), token_parser=tokens, ticket_for_message_ids=lambda ids: 7)

    assert (reference.ticket_id, reference.via) == (5, "address")


def test_threading_wins_over_the_subject_and_is_asked_nearest_first():
    asked = []

    def ticket_for_message_ids(ids):
        asked.append(ids)
        return 7

    raw = raw_mail(
        Subject="Re: [#6] x", In_Reply_To="<c@pledge.test>", References="<a@pledge.test> <c@pledge.test>"
    )

    reference = ticket_reference(
        parse(raw), token_parser=tokens, ticket_for_message_ids=ticket_for_message_ids
    )

    assert (reference.ticket_id, reference.via) == (7, "thread")
    assert asked == [("c@pledge.test", "a@pledge.test")]


def test_the_subject_is_the_last_resort_and_nothing_is_none():
    mail = parse(raw_mail(Subject="Re: [#6] x", In_Reply_To="<unknown@elsewhere.test>"))

    reference = ticket_reference(mail, token_parser=tokens, ticket_for_message_ids=lambda ids: None)

    assert (reference.ticket_id, reference.via) == (6, "subject")
    assert ticket_reference(parse(raw_mail()), token_parser=tokens) is None


def test_html_to_text_keeps_line_structure():
    assert html_to_text("a<br>b<br><br>c<pre>x\n  y</pre>") == "a\nb\n\nc\n\nx\ny"


def test_a_long_line_cannot_make_reply_stripping_crawl():
    # One 85 KB line starting "On " took the stripping library over two minutes.
    body = (
        "On a b c d e f g " * 5000
        + "\n\nOn Tue, 3 Jun 2025 at 10:12, Pledge <support@example.com> wrote:\n> x\n"
    )
    started = time.monotonic()

    reply = strip_reply(body)

    assert time.monotonic() - started < 5
    assert reply == body.split("\n")[0].strip()
