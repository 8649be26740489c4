"""The app icon, drawn with Pillow: a house on the portal's blue, with room to spare for masks."""

import io
from functools import lru_cache

BLUE = (0, 61, 122)
WHITE = (255, 255, 255)
SIZES = (192, 512)


@lru_cache(maxsize=len(SIZES))
def icon_png(size: int) -> bytes:
    from PIL import Image, ImageDraw  # Pillow, ~3 MB: loaded when needed

    image = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(image)
    s = size / 100  # drawn on a 100×100 grid, inside the maskable safe zone (centre 80 %)
    draw.polygon([(50 * s, 24 * s), (76 * s, 48 * s), (24 * s, 48 * s)], fill=WHITE)
    draw.rectangle([31 * s, 48 * s, 69 * s, 74 * s], fill=WHITE)
    draw.rectangle([45 * s, 58 * s, 55 * s, 74 * s], fill=BLUE)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
