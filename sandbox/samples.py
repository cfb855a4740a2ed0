"""A sample photo for residents who have none at hand: a street with lamps, drawn, never downloaded."""
from __future__ import annotations

import io

PALETTES = (  # sky, ground, building
    ((150, 190, 225), (120, 150, 95), (205, 170, 140)),
    ((235, 180, 140), (140, 130, 100), (180, 160, 150)),
    ((120, 140, 170), (100, 125, 90), (190, 190, 200)),
    ((170, 210, 230), (150, 160, 110), (220, 200, 170)),
)


def sample_photo(variant: int = 0, width: int = 800, height: int = 600) -> bytes:
    """A JPEG of a village street; `variant` changes the light and the houses, so photos differ."""
    from PIL import Image, ImageDraw

    sky, ground, building = PALETTES[variant % len(PALETTES)]
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.55)
    draw.rectangle((0, horizon, width, height), fill=ground)
    for index in range(3 + variant % 3):  # houses along the far side
        left = 30 + index * (width // 5) + (variant * 37) % 40
        top = horizon - 90 - (index * 23 + variant * 11) % 60
        draw.rectangle((left, top, left + 120, horizon), fill=building, outline=(90, 80, 70), width=2)
        draw.polygon(((left - 10, top), (left + 60, top - 45), (left + 130, top)), fill=(120, 60, 50))
        for window in (left + 20, left + 75):
            draw.rectangle((window, top + 25, window + 25, top + 50), fill=(240, 230, 170))
    draw.polygon(((width * 0.42, horizon), (width * 0.58, horizon), (width * 0.95, height), (width * 0.05, height)),
                 fill=(95, 95, 100))
    for step in range(8):  # the centre line, receding
        y = horizon + (height - horizon) * step / 8
        draw.rectangle((width * 0.495, y + 6, width * 0.505, y + 18 + step * 3), fill=(235, 235, 225))
    for side in (0.2, 0.8):  # two lamp posts
        x = int(width * side)
        draw.rectangle((x - 4, horizon - 150, x + 4, horizon + 60), fill=(60, 60, 65))
        draw.ellipse((x - 16, horizon - 170, x + 16, horizon - 140), fill=(250, 240, 190))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
