"""Files attached to cases: checked by content, images cleaned, stored by their SHA-256.

The bytes live under ATTACHMENT_DIR at ``ab/cd/abcd…`` (the hex SHA-256 of the stored file):
the same file uploaded twice is stored once, and a backup copies each file once. A file is
written to a temporary name in the same folder, flushed to disk, then renamed into place, so a
reader never sees part of a file; when writing fails (a full disk) what this upload wrote is
removed and the caller adds no row.

Only JPEG, PNG, WebP and PDF are taken, recognised by their first bytes and (images) by Pillow
decoding them, never by the name or the declared type. Images are turned upright by their EXIF
orientation, downscaled to at most IMAGE_MAX_SIDE pixels and saved again without any metadata
(the EXIF GPS position of a phone photo is gone); each gets a THUMB_SIDE thumbnail (JPEG).
PDFs are stored as sent.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from ..domain.enums import Action, AttachmentKind
from ..domain.i18n import N_, Message
from ..domain.intake import FieldReader, InvalidInput
from ..extensions import db
from ..models import Attachment, Case, CaseEvent, User
from ..platform.files import write_atomically

IMAGE_MAX_SIDE = 2560  # pixels: sharp on any screen or A4 print, a tenth of a phone's bytes
THUMB_SIDE = 320
NAME_MAX = 255
NOTE_MAX = 2000

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}

NOT_ALLOWED = Message(N_("Only photos (JPEG, PNG, WebP) and PDF documents can be attached."))
UNREADABLE = Message(N_("This image could not be read; it may be damaged."))


class TooLarge(Exception):
    """A file over ATTACHMENT_MAX_MB (HTTP 413)."""


class StorageFailed(Exception):
    """The file could not be written (the disk is full, the folder not writable); nothing of
    it is left and no row was added."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.is_disk_full = error.errno in (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the sender gave it and its bytes."""

    name: str
    data: bytes


def max_bytes() -> int:
    return current_app.config["ATTACHMENT_MAX_MB"] * 1024 * 1024


def sniff(data: bytes) -> str | None:
    """The content type by the file's first bytes, among the allowed ones; else None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:5] == b"%PDF-":
        return PDF
    return None


def parse_upload_fields(raw) -> tuple[AttachmentKind, str]:
    """``kind`` and ``note`` of an upload (form or multipart API alike); raises InvalidInput."""
    errors: dict[str, Message] = {}
    get = FieldReader(raw, errors)
    kind = get.choice("kind", AttachmentKind)
    note = get.text("note", max_length=NOTE_MAX, required=False)
    if errors:
        raise InvalidInput(errors)
    return kind, note


@dataclass(frozen=True)
class Prepared:
    content_type: str
    data: bytes
    thumb: bytes | None


def prepare(upload: Upload, field: str = "file") -> Prepared:
    """Check ``upload`` by content and clean an image; raises InvalidInput naming ``field``
    (a type not allowed, a damaged image) or TooLarge."""
    if len(upload.data) > max_bytes():
        raise TooLarge
    if not upload.data:
        raise InvalidInput({field: Message(N_("Choose a file to attach."))})
    content_type = sniff(upload.data)
    if content_type is None:
        raise InvalidInput({field: NOT_ALLOWED})
    if content_type == PDF:
        return Prepared(PDF, upload.data, None)
    try:
        data, thumb = _clean_image(upload.data, PIL_FORMATS[content_type])
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        raise InvalidInput({field: UNREADABLE}) from None
    return Prepared(content_type, data, thumb)


def _clean_image(data: bytes, pil_format: str) -> tuple[bytes, bytes]:
    """The image upright, at most IMAGE_MAX_SIDE, without metadata; and its thumbnail."""
    with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
        if pil_format == "JPEG":
            image.draft("RGB", (IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))  # decode big photos scaled
        image.load()
        upright = ImageOps.exif_transpose(image)
    upright.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE), Image.Resampling.LANCZOS)
    clean = _without_metadata(upright, pil_format)
    stored = io.BytesIO()
    if pil_format == "JPEG":
        clean.save(stored, "JPEG", quality=85, optimize=True)
    elif pil_format == "WEBP":
        clean.save(stored, "WEBP", quality=85)
    else:
        clean.save(stored, "PNG", optimize=True)
    small = clean.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    thumb = io.BytesIO()
    _flat_rgb(small).save(thumb, "JPEG", quality=80)
    return stored.getvalue(), thumb.getvalue()


def _without_metadata(image: Image.Image, pil_format: str) -> Image.Image:
    """A copy holding only the pixels: no EXIF (GPS, camera, time), XMP, comments or text."""
    if pil_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = Image.new(image.mode, image.size)
    if image.mode == "P":
        clean.putpalette(image.getpalette())
    clean.paste(image)
    clean.info = {}
    return clean


def _flat_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# --- storage --------------------------------------------------------------------------------


def root() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"])


def path_of(sha256: str, base: Path | None = None) -> Path:
    """Where the file with this SHA-256 is stored."""
    return (base or root()) / sha256[:2] / sha256[2:4] / sha256


def _store(data: bytes, written: list[Path]) -> str:
    """Write ``data`` under its SHA-256 (once: the same bytes are already there), appending to
    ``written`` the path this call created. Raises OSError."""
    sha256 = hashlib.sha256(data).hexdigest()
    target = path_of(sha256)
    if target.exists():
        return sha256
    write_atomically(target, data, prefix=".upload-")
    written.append(target)
    return sha256


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def attach_file(
    user: User,
    case: Case,
    upload: Upload,
    *,
    kind: AttachmentKind | None,
    note: str = "",
    now: dt.datetime,
    field: str = "file",
) -> Attachment:
    """Add ``upload`` to ``case`` (the caller found the case through access and checked
    :func:`access.can_attach_files`), with an event in its history; ``kind`` None: a photo if
    it is an image, else evidence. Raises InvalidInput,
    TooLarge or StorageFailed, having left nothing behind. Flushes; the caller commits."""
    prepared = prepare(upload, field)
    if kind is None:
        kind = AttachmentKind.evidence if prepared.content_type == PDF else AttachmentKind.photo
    written: list[Path] = []
    try:
        sha256 = _store(prepared.data, written)
        thumb = _store(prepared.thumb, written) if prepared.thumb is not None else None
    except OSError as error:
        for path in written:
            _unlink(path)
        raise StorageFailed(error) from None
    attachment = Attachment(
        case_id=case.id,
        kind=kind,
        name=_file_name(upload.name, prepared.content_type),
        content_type=prepared.content_type,
        size=len(prepared.data),
        sha256=sha256,
        thumb_sha256=thumb,
        note=note,
        uploaded_at=now,
        uploaded_by_id=user.id,
    )
    db.session.add(attachment)
    db.session.flush()
    # A file is part of the record, not a step of the workflow: the case's version stays, so
    # nobody's open action form goes stale because a photo was added.
    db.session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            recorded_at=now,
            actor_id=user.id,
            action=Action.attach.value,
            note=note,
            data={"attachment_id": attachment.id, "name": attachment.name, "kind": kind.value},
        )
    )
    db.session.flush()
    return attachment


def _file_name(name: str, content_type: str) -> str:
    """The sender's file name without folders or control characters, with the extension of
    what the file really is."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(char for char in base if char.isprintable()).strip() or "file"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    extension = EXTENSIONS[content_type]
    return (stem[: NAME_MAX - len(extension)] or "file") + extension


def case_attachments(case: Case) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def read(attachment: Attachment, *, thumb: bool = False) -> Path | None:
    """The stored file (or its thumbnail) of ``attachment``; None when it has none."""
    sha256 = attachment.thumb_sha256 if thumb else attachment.sha256
    return path_of(sha256) if sha256 else None
