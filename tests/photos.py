"""Files as phones and people send them: a big noisy photo with its GPS position in EXIF, a
PDF, a program renamed .jpg."""

from __future__ import annotations

import functools
import io
import os

from PIL import ExifTags, Image

GPS_IFD = ExifTags.IFD.GPSInfo
ORIENTATION = 0x0112


@functools.cache
def phone_photo(width: int = 3456, height: int = 2592, quality: int = 95) -> bytes:
    """A JPEG of random noise (which hardly compresses: ~10 MB at 8 MP) taken on its side
    (EXIF orientation 6: turn 90° clockwise to view), with where it was taken in EXIF GPS."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps.update(
        {
            1: "N",
            2: (36.0, 7.0, 12.5),
            3: "E",
            4: (114.0, 21.0, 3.25),
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def small_png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 128)).save(out, "PNG")
    return out.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# A Windows program: "MZ", the DOS stub, then the PE header.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
