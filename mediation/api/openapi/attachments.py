"""The case file's attachments."""

from __future__ import annotations

from ...domain.enums import (
    AttachmentKind,
)
from ...services.attachments import NOTE_MAX as ATTACHMENT_NOTE_MAX
from .common import (
    CASE_ID,
    INSTANT,
    answer,
    param,
    path_id,
    ref,
    response,
    values,
)

SCHEMAS: dict = {}
PATHS: dict = {}

ATTACHMENT_FILE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
SCHEMAS["Attachment"] = {
    "type": "object",
    "required": [
        "id",
        "case_id",
        "name",
        "kind",
        "content_type",
        "size",
        "sha256",
        "has_thumbnail",
        "note",
        "uploaded_at",
        "uploaded_by",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "case_id": {"type": "integer"},
        "name": {"type": "string", "description": "The file name, with the extension of its type."},
        "kind": {"type": "string", "enum": values(AttachmentKind)},
        "content_type": {"type": "string", "enum": list(ATTACHMENT_FILE_TYPES)},
        "size": {"type": "integer", "description": "Bytes of the stored file."},
        "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "Of the stored file: an image is stored downscaled (at most 2560 "
            "pixels) and without EXIF (no location); a PDF as sent.",
        },
        "has_thumbnail": {"type": "boolean", "description": "Images: `?thumb=1` serves one."},
        "note": {"type": "string"},
        "uploaded_at": INSTANT,
        "uploaded_by": {"type": "string", "nullable": True, "description": "User name."},
        "url": {"type": "string", "description": "Where the file is served."},
    },
}
SCHEMAS["AttachmentInput"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "kind"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "JPEG, PNG, WebP or PDF, recognised by content (not by name or "
            "declared type), up to ATTACHMENT_MAX_MB (default 20) MiB.",
        },
        "kind": {"type": "string", "enum": values(AttachmentKind)},
        "note": {"type": "string", "maxLength": ATTACHMENT_NOTE_MAX},
    },
}
PATHS["/cases/{case_id}/attachments"] = {
    "get": {
        "operationId": "listCaseAttachments",
        "summary": "The files attached to the case, oldest first.",
        "parameters": [CASE_ID],
        "responses": {
            "200": answer({"type": "array", "items": ref("Attachment")}, "The files."),
        },
    },
    "post": {
        "operationId": "uploadCaseAttachment",
        "summary": "Attach a photo, scan or PDF to the case (multipart/form-data).",
        "parameters": [CASE_ID],
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": ref("AttachmentInput")}},
        },
        "responses": {
            "201": {
                **answer(ref("Attachment"), "The stored file."),
                "headers": {
                    "Location": {"description": "The file's URL.", "schema": {"type": "string"}}
                },
            },
            "403": response("Forbidden"),
            "413": answer(ref("Error"), "The file is over ATTACHMENT_MAX_MB."),
            "422": answer(
                ref("Error"), "No file, a type not allowed (error.fields.file), a bad kind."
            ),
            "507": answer(ref("Error"), "The file could not be stored (the disk is full)."),
        },
    },
}
PATHS["/attachments/{attachment_id}"] = {
    "get": {
        "operationId": "getAttachment",
        "summary": "The file (scoped like its case: 404 outside the caller's area).",
        "parameters": [
            path_id("attachment_id"),
            param(
                "thumb",
                "1: the image's thumbnail (JPEG, at most 320 pixels); 404 for a PDF.",
                {"type": "string", "enum": ["0", "1"]},
            ),
        ],
        "responses": {
            "200": {
                "description": "The file's bytes.",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}}
                    for kind in ATTACHMENT_FILE_TYPES
                },
            },
        },
    }
}
