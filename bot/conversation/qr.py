"""QR codes of invite links, as PNG bytes (pure Python: qrcode draws, pypng encodes)."""

from __future__ import annotations

import io


def qr_png(text: str, *, box_size: int = 8, border: int = 4) -> bytes:
    """A PNG of ``text`` as a QR code, with medium error correction (survives a print).
    qrcode (and the Pillow it finds) load with the first code drawn, not with the bot."""
    import qrcode
    from qrcode.image.pure import PyPNGImage

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=border,
        image_factory=PyPNGImage,
    )
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()
