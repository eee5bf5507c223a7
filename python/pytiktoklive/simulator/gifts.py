"""The gift catalogue: the real captured gift list when present, else a small generated one.

The same catalogue feeds ``webcast/gift/list/`` and the gift messages of the
scenarios, so a gift's id, name, price and type agree everywhere.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

__all__ = ["CatalogueGift", "GiftCatalogue", "generated_gift_list"]


@dataclass(frozen=True)
class CatalogueGift:
    id: int
    name: str
    diamond_count: int
    type: int  # 1 = streakable
    describe: str
    duration: int
    image_urls: Tuple[str, ...]
    image_uri: str


# A few gifts for when no capture is around. Rose (5655) and Nevalyashka doll
# (5953, 25 coins, type 1) are documented facts; the others are made up.
_GENERATED = (
    (5655, "Rose", 1, 1),
    (5827, "Ice Cream Cone", 1, 1),
    (5953, "Nevalyashka doll", 25, 1),
    (9001, "Simulated Heart", 5, 1),
    (9002, "Simulated Crown", 99, 1),
    (9003, "Simulated Rocket", 1000, 2),
    (9004, "Simulated Galaxy", 1000, 2),
    (9005, "Simulated Lion", 29999, 2),
)


def _image(image_base: str, key: str) -> Dict[str, Any]:
    url = f"{image_base}/img/gift/{key}.webp"
    return {
        "avg_color": "#A3897C",
        "height": 0,
        "image_type": 0,
        "is_animated": False,
        "open_web_url": "",
        "uri": f"webcast-va/{key}",
        "url_list": [url],
        "width": 0,
    }


def generated_gift_list(image_base: str, now_ms: int) -> Dict[str, Any]:
    """A ``gift/list`` answer in the real shape, with a handful of gifts."""
    gifts = []
    for gift_id, name, diamonds, gift_type in _GENERATED:
        gifts.append(
            {
                "id": gift_id,
                "name": name,
                "diamond_count": diamonds,
                "describe": f"sent {name}",
                "type": gift_type,
                "combo": gift_type == 1,
                "duration": 1000 if gift_type == 1 else 3000,
                "image": _image(image_base, str(gift_id)),
                "icon": _image(image_base, f"{gift_id}_icon"),
                "is_broadcast_gift": False,
                "is_displayed_on_panel": True,
                "is_effect_befview": False,
                "is_random_gift": False,
                "for_linkmic": True,
                "primary_effect_id": 0,
                "lock_info": {"lock": False, "lock_type": 0},
                "tracker_params": {"gift_property": "normal"},
            }
        )
    return {
        "data": {
            "doodle_templates": [],
            "gifts": gifts,
            "gifts_info": {
                "gift_group_infos": [{"group_count": 1, "group_text": ""}],
                "new_gift_id": 0,
                "speedy_gift_id": 5655,
            },
            "pages": [],
        },
        "extra": {"log_id": f"{now_ms}SIMULATED", "now": now_ms},
        "status_code": 0,
    }


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class GiftCatalogue:
    """Gifts by id, split into streakable (type 1) and the others."""

    def __init__(self, gift_list: Dict[str, Any]) -> None:
        self.gift_list = gift_list
        gifts: List[CatalogueGift] = []
        raw_gifts = gift_list.get("data", {}).get("gifts", [])
        for raw in raw_gifts if isinstance(raw_gifts, list) else ():
            if not isinstance(raw, dict) or not _as_int(raw.get("id")):
                continue
            image: Dict[str, Any] = raw["image"] if isinstance(raw.get("image"), dict) else {}
            urls: List[Any] = image["url_list"] if isinstance(image.get("url_list"), list) else []
            gifts.append(
                CatalogueGift(
                    id=_as_int(raw.get("id")),
                    name=str(raw.get("name", "")),
                    diamond_count=_as_int(raw.get("diamond_count")),
                    type=_as_int(raw.get("type")),
                    describe=str(raw.get("describe", "")),
                    duration=_as_int(raw.get("duration")),
                    image_urls=tuple(str(url) for url in urls),
                    image_uri=str(image.get("uri", "")),
                )
            )
        if not gifts:
            raise ValueError("the gift list holds no gifts")
        self.gifts: Tuple[CatalogueGift, ...] = tuple(gifts)
        self.by_id = {gift.id: gift for gift in gifts}
        self._streakable = [gift for gift in gifts if gift.type == 1] or list(gifts)
        # Cheap gifts are sent far more often than expensive ones.
        others = [gift for gift in gifts if gift.type != 1]
        self._others = sorted(others, key=lambda gift: gift.diamond_count)[:12] or list(gifts)

    def pick(self, rng: random.Random, *, streakable: bool) -> CatalogueGift:
        pool: Sequence[CatalogueGift] = self._streakable if streakable else self._others
        return rng.choice(pool)

    @functools.cached_property
    def body(self) -> bytes:
        """The ``gift/list`` JSON answer, encoded once (the capture's content, unchanged)."""
        return json.dumps(self.gift_list, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
