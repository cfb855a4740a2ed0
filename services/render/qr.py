"""QR codes for deputy deep links (`https://t.me/<bot>?start=d_...`)."""
from __future__ import annotations

import io

import segno


def qr_code(data: str) -> segno.QRCode:
    """The QR symbol for `data`, shared by the PNG and the vector PDF drawing.

    Error correction is at least "M" so a slightly scuffed or folded printed poster
    still scans; segno raises it further when that costs no extra size.
    """
    return segno.make(data, error="m", micro=False, boost_error=True)


def qr_png(data: str, *, scale: int = 10, border: int = 4) -> bytes:
    """PNG bytes of a QR code encoding `data`; `border` is the quiet zone in modules."""
    buffer = io.BytesIO()
    qr_code(data).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
