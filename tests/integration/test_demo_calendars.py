"""On the demo retailer, calendars know the year: nothing on Christmas Day, Moselle's 26 December, the
Sunday openings before Christmas; public holidays are data an admin can read and replace."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from oms.cli import app
from oms.demo.generate import sundays_before_christmas
from oms.demo.load import load_demo
from oms.services.reference import records
from tests.integration.test_demo import _next
from tests.support import ADMIN, problem

PARIS_TZ = ZoneInfo("Europe/Paris")
PARIS, METZ = {"lat": 48.8606, "lng": 2.3376}, {"lat": 49.1165, "lng": 6.1740}


async def _demo(ctx, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    return {k.role: {"Authorization": f"Bearer {k.key}"} for k in summary.keys}


async def _on_shelves(ctx, *stores: str) -> str:
    """A SKU each of these stores has a few units of."""
    held = [{r["sku"] for r in (await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id=store,
                                                             cursor=None, limit=1000))["items"] if r["available"] >= 2}
            for store in stores]
    return sorted(set.intersection(*held))[0]


async def _options(client, headers, sku, destination, at):
    r = await client.post("/v1/promise", params={"explain": True}, headers=headers, json={
        "channel": "web", "lines": [{"sku": sku, "quantity": 1}], "destination": destination, "at": at.isoformat()})
    assert r.status_code == 200, r.text
    return r.json()["options"]


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(PARIS_TZ)


async def test_nothing_is_promised_on_christmas_day_and_moselle_keeps_saint_stephen(ctx, client, tmp_path):
    keys = await _demo(ctx, tmp_path)
    sku = await _on_shelves(ctx, "ST-PARIS-RIVOLI", "ST-METZ")
    eve = _next(ctx.clock.now(), None, time(19, 30), (12, 24))
    christmas, stephen = date(eve.year, 12, 25), date(eve.year, 12, 26)
    paris = await _options(client, keys["channel"], sku, PARIS, eve)
    for o in paris:  # no delivery, slot or collection that day; no carrier pickup counted on it either
        assert christmas not in {_local(o[k]).date() for k in ("earliest", "latest", "cutoff")}, o
    rivoli = next(o for o in paris if o["pickup_node_id"] == "ST-PARIS-RIVOLI" and o["mode"] == "click_and_collect")
    assert _local(rivoli["earliest"]).date() == stephen  # Paris opens on the 26th
    metz = next(o for o in await _options(client, keys["channel"], sku, METZ, eve)
                if o["pickup_node_id"] == "ST-METZ" and o["mode"] == "click_and_collect")
    assert _local(metz["earliest"]).date() > stephen  # Moselle does not: Saint-Étienne


async def test_stores_shut_on_sundays_open_on_the_sundays_before_christmas(ctx, client, tmp_path):
    keys = await _demo(ctx, tmp_path)
    sku = await _on_shelves(ctx, "ST-METZ")
    now = ctx.clock.now()
    sunday = min(d for year in (now.year, now.year + 1) for d in sundays_before_christmas(year)
                 if d > now.astimezone(PARIS_TZ).date() + timedelta(days=1))
    saturday_night = datetime.combine(sunday - timedelta(days=1), time(19, 30), tzinfo=PARIS_TZ)
    metz = next(o for o in await _options(client, keys["channel"], sku, METZ, saturday_night)
                if o["pickup_node_id"] == "ST-METZ" and o["mode"] == "click_and_collect")
    assert _local(metz["earliest"]).date() == sunday
    # Five weeks before (November) or after (January), whichever is ahead: shut on Sunday again.
    ordinary = next(t for t in (saturday_night - timedelta(days=35), saturday_night + timedelta(days=35)) if t > now)
    metz = next(o for o in await _options(client, keys["channel"], sku, METZ, ordinary)
                if o["pickup_node_id"] == "ST-METZ" and o["mode"] == "click_and_collect")
    assert _local(metz["earliest"]).date() > (ordinary + timedelta(days=1)).date()


async def test_public_holidays_are_data_an_admin_reads_and_replaces(ctx, client, tmp_path):
    keys = await _demo(ctx, tmp_path)
    year = ctx.clock.now().year
    r = await client.get("/v1/public-holidays", params={"country": "FR", "year": year}, headers=keys["admin"])
    assert r.status_code == 200 and {"day": f"{year}-12-25", "name": "Noël"} in r.json()["days"], r.text
    r = await client.get("/v1/public-holidays", params={"country": "FR", "region": "57", "year": year},
                         headers=keys["admin"])
    assert [d["name"] for d in r.json()["days"]] == ["Vendredi saint", "Saint-Étienne"]

    body = {"country": "FR", "region": "57", "days": [{"day": f"{year}-12-26", "name": "Saint-Étienne"}] * 2}
    assert "twice" in problem(await client.put("/v1/public-holidays", json=body, headers=keys["admin"]),
                              422, "invalid_input")["detail"]
    problem(await client.put("/v1/public-holidays", json=body, headers=keys["channel"]), 403, "forbidden")
    body["days"] = body["days"][:1]
    r = await client.put("/v1/public-holidays", json=body, headers=keys["admin"])
    assert r.status_code == 200 and r.json()["days"] == body["days"], r.text


def test_the_command_loads_a_region_s_holidays(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["holidays", "FR", "--region", "57", "--year", "2027"],
                                env={"OMS_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "2 public holidays stored for FR region 57" in result.output and "2027-12-26  Saint-Étienne" in result.output
    result = CliRunner().invoke(app, ["holidays", "FR", "--region", "99"], env={"OMS_DATABASE_URL": database_url})
    assert result.exit_code == 1 and "does not have subdivision 99" in result.output
