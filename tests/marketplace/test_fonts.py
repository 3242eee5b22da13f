"""The site carries its own Thai font (a Noto Sans Thai subset, OFL): no page depends on a font
CDN or on the visitor's machine having a Thai font (#17)."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

FONTS = ["marketplace/fonts/NotoSansThai-Regular.subset.woff2", "marketplace/fonts/NotoSansThai-Bold.subset.woff2"]


def test_the_thai_font_files_and_their_licence_are_served_from_our_static_files():
    for name in FONTS:
        path = finders.find(name)
        assert path, name
        data = Path(path).read_bytes()
        assert data[:4] == b"wOF2" and 5_000 < len(data) < 60_000  # a WOFF2 subset, not the full font
    licence = Path(finders.find("marketplace/fonts/OFL.txt")).read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Noto Sans Thai" in licence


def test_every_stylesheet_that_names_the_font_points_at_our_files_only():
    for css in ("marketplace/css/site.css", "orders/documents.css"):
        text = Path(finders.find(css)).read_text()
        urls = re.findall(r'url\("([^"]+\.woff2)"\)', text)
        assert urls, css
        for url in urls:
            assert not url.startswith(("http:", "https:", "//")), url
            resolved = (Path(css).parent / url).as_posix()
            normalised = re.sub(r"[^/]+/\.\./", "", resolved)
            assert finders.find(normalised), (css, url)
        assert "fonts.googleapis" not in text and "@import" not in text
