"""The product card: picture, name, price with the list price struck through, stock and the cart link number.

Rendered once per product to RGBA (the scene caches it in its static layer). Only facts from the brief appear.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..brief import Product
from .layout import RGBA, Scene
from .text import FontT, draw_text, fit, font, to_rgba

log = logging.getLogger(__name__)

CURRENCY = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "TWD": "NT$"}
WORDS = {
    "zh": {"stock": "库存 {n} 件", "sold_out": "已售罄", "link": "{n}号链接", "was": "原价", "now": "到手价"},
    "en": {"stock": "{n} in stock", "sold_out": "Sold out", "link": "Link #{n}", "was": "Was", "now": "Now"},
}


def money(value: float, currency: str) -> str:
    sym = CURRENCY.get(currency.upper())
    amount = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{sym}{amount}" if sym else f"{amount} {currency.upper()}"


def _load_picture(path: str | None, base_dir: Path | None) -> Image.Image | None:
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    try:
        with Image.open(p) as im:
            return im.convert("RGBA")
    except (OSError, ValueError) as e:  # a missing picture must not take the stream down: draw the placeholder
        log.warning("product image %s cannot be read (%s); drawing a placeholder", p, e)
        return None


def _cover(im: Image.Image, w: int, h: int) -> Image.Image:
    s = max(w / im.width, h / im.height)
    im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.Resampling.LANCZOS)
    x, y = (im.width - w) // 2, (im.height - h) // 2
    return im.crop((x, y, x + w, y + h))


def _placeholder(w: int, h: int, accent: RGBA) -> Image.Image:
    """No picture in the brief: a soft tile with a gift-box icon, clearly not a photo of the product."""
    im = Image.new("RGBA", (w, h))
    top, bot = np.array([255, 236, 228]), np.array([255, 214, 204])
    t = np.linspace(0, 1, h)[:, None, None]
    grad = (top * (1 - t) + bot * t).astype(np.uint8)
    im.paste(Image.fromarray(np.broadcast_to(grad, (h, w, 3)).copy(), "RGB"))
    d = ImageDraw.Draw(im)
    r = int(min(w, h) * 0.3)
    cx, cy = w // 2, h // 2
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 210))
    col, dark = accent[:3] + (255,), tuple(int(c * 0.8) for c in accent[:3]) + (255,)
    b = int(r * 0.55)  # the box, its lid, the ribbon and a bow
    d.rounded_rectangle((cx - b, cy - b * 0.35, cx + b, cy + b), max(2, b // 10), fill=col)
    d.rounded_rectangle((cx - b * 1.12, cy - b * 0.7, cx + b * 1.12, cy - b * 0.25), max(2, b // 10), fill=dark)
    d.rectangle((cx - b * 0.14, cy - b * 0.7, cx + b * 0.14, cy + b), fill=(255, 236, 200, 255))
    for sgn in (-1, 1):
        d.ellipse((cx + sgn * b * 0.05 - (b * 0.5 if sgn < 0 else 0), cy - b * 1.15,
                   cx + sgn * b * 0.05 + (b * 0.5 if sgn > 0 else 0), cy - b * 0.7), outline=dark, width=max(2, b // 8))
    return im


def render_card(product: Product, scene: Scene, lang: str, w: int, h: int, base_dir: Path | None = None
                ) -> np.ndarray:
    """(h, w, 4) RGBA card for ``product``."""
    words = WORDS.get(lang, WORDS["en"])
    cfg = scene.font
    accent = scene.color("accent", "#FF4D5E")
    text_c, muted = scene.color("text", "#2B2326"), scene.color("muted", "#8F8387")
    pad = max(6, int(w * 0.05))
    radius = max(6, int(w * 0.05))
    blur = max(2, int(w * 0.02))
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    # the card is inset far enough that its blurred drop shadow fades out inside the image
    card = (blur * 2, blur, w - blur * 2, h - blur * 3)
    sh = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(sh).rounded_rectangle((card[0], card[1] + blur, card[2], card[3] + blur), radius,
                                         fill=(90, 40, 30, 60))
    im.alpha_composite(sh.filter(ImageFilter.GaussianBlur(blur * 0.8)))
    ImageDraw.Draw(im).rounded_rectangle(card, radius, fill=scene.color("card", "#FFFFFF"))
    cx0, cy0, cx1, cy1 = card
    inner_w = cx1 - cx0 - 2 * pad
    portrait = h > w * 1.1
    pic_h = int(min(inner_w * 0.62, (cy1 - cy0) * 0.5)) if portrait else int((cy1 - cy0) - 2 * pad)
    pic_w = inner_w if portrait else pic_h
    pic = _load_picture(product.image, base_dir)
    tile = _cover(pic, pic_w, pic_h) if pic else _placeholder(pic_w, pic_h, accent)
    mask = Image.new("L", (pic_w, pic_h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, pic_w - 1, pic_h - 1), max(4, radius // 2), fill=255)
    im.paste(tile, (cx0 + pad, cy0 + pad), mask)
    # text column: below the picture on a tall card, beside it on a wide one
    if portrait:
        tx, ty, tw = cx0 + pad, cy0 + pad + pic_h + int(pad * 0.8), inner_w
    else:
        tx, ty, tw = cx0 + 2 * pad + pic_w, cy0 + pad, inner_w - pic_w - pad
    base = max(10, int((h if portrait else h * 2.2) * 0.045))
    badge_top: float = cy1 - pad
    if product.link is not None:
        badge_top = _link_badge(im, product.link, words, cx1 - pad, cy1 - pad, base, accent, cfg)
    f_name, lines = fit(product.name, int(base * 1.1), tw, 2, bold=True, configured=cfg)
    for line in lines:
        draw_text(im, (tx, ty), line, f_name, text_c)
        ty += int(f_name.size * 1.25)
    ty += int(base * 0.35)
    _price_row(im, product, words, tx, ty, tw, base, accent, muted, cfg)
    ty += int(base * 2.3)
    if product.stock is not None:
        s = words["sold_out"] if product.stock == 0 else words["stock"].format(n=f"{product.stock:,}")
        draw_text(im, (tx, ty), s, font(int(base * 0.8), False, cfg), muted)
        ty += int(base * 1.3)
    if product.promotions and ty + base * 1.2 < badge_top - base * 0.3:  # only where it clears the link badge
        f_p, pl = fit(product.promotions[0], int(base * 0.75), tw - base, 1, configured=cfg)
        _pill(im, tx, ty, pl[0], f_p, (255, 236, 238, 255), accent)
    return to_rgba(im)


def _price_row(im: Image.Image, p: Product, words: dict[str, str], x: int, y: int, w: int, base: int,
               accent: RGBA, muted: RGBA, cfg: str | None) -> None:
    f_now = font(int(base * 0.75), True, cfg)
    draw_text(im, (x, y + base * 0.75), words["now"], f_now, accent)
    f_price = font(int(base * 1.9), True, cfg)
    px = x + f_now.getlength(words["now"]) + base * 0.3
    price = money(p.price, p.currency)
    draw_text(im, (px, y - base * 0.35), price, f_price, accent)
    if p.list_price is not None and p.list_price > p.price:
        f_was = font(int(base * 0.85), False, cfg)
        was = money(p.list_price, p.currency)
        wx = px + f_price.getlength(price) + base * 0.45
        if wx + f_was.getlength(was) > x + w:  # no room beside the price: under it
            wx, wy = x, y + base * 2.0
        else:
            wy = y + base * 0.7
        draw_text(im, (wx, wy), was, f_was, muted)
        mid = wy + f_was.size * 0.62
        ImageDraw.Draw(im).line((wx - 1, mid, wx + f_was.getlength(was) + 1, mid), fill=muted,
                                width=max(1, base // 12))


def _pill(im: Image.Image, x: float, y: float, text: str, f: FontT, bg: RGBA, fg: RGBA) -> None:
    pw, ph = f.getlength(text) + f.size * 0.9, f.size * 1.5
    ImageDraw.Draw(im).rounded_rectangle((x, y, x + pw, y + ph), ph / 2, fill=bg)
    draw_text(im, (x + f.size * 0.45, y + f.size * 0.18), text, f, fg)


def _link_badge(im: Image.Image, link: int | str, words: dict[str, str], right: int, bottom: int, base: int,
                accent: RGBA, cfg: str | None) -> float:
    """The cart link number viewers are told to tap, with a small shopping-bag icon, bottom right of the card.
    Returns the badge's top edge."""
    f = font(int(base * 1.0), True, cfg)
    text = words["link"].format(n=link)
    icon = int(f.size * 1.0)
    bw, bh = f.getlength(text) + icon + f.size * 1.4, f.size * 1.75
    x0, y0 = right - bw, bottom - bh
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((x0, y0, right, bottom), bh / 2, fill=accent)
    ix, iy = x0 + f.size * 0.6, y0 + (bh - icon) / 2
    d.rounded_rectangle((ix, iy + icon * 0.3, ix + icon, iy + icon), max(2, icon // 6), fill=(255, 255, 255))
    d.arc((ix + icon * 0.25, iy, ix + icon * 0.75, iy + icon * 0.6), 180, 360, fill=(255, 255, 255),
          width=max(2, icon // 9))
    draw_text(im, (ix + icon + f.size * 0.35, y0 + (bh - f.size) / 2 - f.size * 0.12), text, f, (255, 255, 255))
    return y0
