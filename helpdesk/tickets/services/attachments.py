"""Attachments: bounded uploads stored outside the web root with a safe content type."""

import mimetypes
import os

from django.conf import settings

from helpdesk.accounts.models import User
from helpdesk.kit.errors import ValidationError
from helpdesk.tickets.models import Attachment, Message, Ticket

# Types a browser may show inline without risk; anything else downloads as octet-stream.
SAFE_CONTENT_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "application/pdf",
    "application/json",
    "application/zip",
    "application/gzip",
    "text/csv",
}
MAX_FILES_PER_MESSAGE = 10


def safe_content_type(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    return guessed if guessed in SAFE_CONTENT_TYPES else "application/octet-stream"


def _clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    # "." and ".." name no file (storage would refuse them and the upload would vanish).
    if not name.strip("."):
        name = ""
    return (name or "attachment")[:200]


def validate_files(files) -> list:
    files = list(files or [])
    errors: list[str] = []
    if len(files) > MAX_FILES_PER_MESSAGE:
        errors.append(f"At most {MAX_FILES_PER_MESSAGE} files at once.")
    for upload in files:
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            limit_mb = settings.ATTACHMENT_MAX_BYTES / (1024 * 1024)
            errors.append(f"{_clean_filename(upload.name)} is larger than {limit_mb:g} MB.")
        elif upload.size == 0:
            errors.append(f"{_clean_filename(upload.name)} is empty.")
    if errors:
        raise ValidationError({"attachments": errors})
    return files


def attachments_store(
    *, ticket: Ticket, uploaded_by: User, files, message: Message | None = None
) -> list[Attachment]:
    """Store files under MEDIA_ROOT (never served directly); removes them again on failure."""
    stored: list[Attachment] = []
    try:
        for upload in validate_files(files):
            filename = _clean_filename(upload.name)
            attachment = Attachment(
                ticket=ticket,
                message=message,
                filename=filename,
                content_type=safe_content_type(filename),
                size=upload.size,
                uploaded_by=uploaded_by,
            )
            attachment.file.save(filename, upload, save=False)
            stored.append(attachment)
            attachment.save()
    except Exception:
        attachments_discard(stored)
        raise
    return stored


def attachments_discard(attachments) -> None:
    for attachment in attachments:
        attachment.file.delete(save=False)
