#!/usr/bin/env python3
"""Prints the rows of src/base/country.cc's table: every ISO 3166-1 country with the smallest
and largest UTC offset (minutes) any of its time zones has over the years sampled, DST
included. Sources: Debian's iso-codes (iso_3166-1.json) and tzdata (zone.tab, the zones).
A country with no zone in zone.tab gets the world's range (-12:00 .. +14:00).

    python3 scripts/gen_country_offsets.py [FIRST_YEAR LAST_YEAR]   # default 2024 2030
"""
import datetime
import json
import sys
import zoneinfo

ISO = "/usr/share/iso-codes/json/iso_3166-1.json"
ZONE_TAB = "/usr/share/zoneinfo/zone.tab"
WORLD = (-12 * 60, 14 * 60)


def zones_by_country():
    zones = {}
    with open(ZONE_TAB, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            code, _, name = line.split("\t")[:3]
            zones.setdefault(code, []).append(name.strip())
    return zones


def offset_range(zone_names, first, last):
    lo, hi = None, None
    for name in zone_names:
        tz = zoneinfo.ZoneInfo(name)
        t = datetime.datetime(first, 1, 1, tzinfo=datetime.timezone.utc)
        end = datetime.datetime(last + 1, 1, 1, tzinfo=datetime.timezone.utc)
        while t < end:  # every 6 hours: DST periods last weeks, transitions are whole hours
            minutes = int(t.astimezone(tz).utcoffset().total_seconds() // 60)
            lo = minutes if lo is None else min(lo, minutes)
            hi = minutes if hi is None else max(hi, minutes)
            t += datetime.timedelta(hours=6)
    return lo, hi


def main():
    first, last = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (2024, 2030)
    zones = zones_by_country()
    with open(ISO, encoding="utf-8") as f:
        countries = sorted(json.load(f)["3166-1"], key=lambda c: c["alpha_3"])
    for c in countries:
        names = zones.get(c["alpha_2"])
        lo, hi = offset_range(names, first, last) if names else WORLD
        note = "" if names else "; no zone: the world's range"
        print(f'    {{"{c["alpha_3"]}", {int(c["numeric"])}, {lo}, {hi}}},  // {c["name"]}{note}')


if __name__ == "__main__":
    main()
