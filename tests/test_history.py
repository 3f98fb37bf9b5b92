"""history.csv, rota forecast and rota review: hand-checked figures, a known profile, and the loop end to end."""

import csv
import gzip
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario
from scheduler import forecasting as F
from scheduler import reviewing as R
from scheduler.io.history import load_history, weekly_counts, with_local
from scheduler.io.scenario import load_scenario

HEADER = ["market", "arrived_at", "first_reply_at", "ended_at", "handled_by", "complex", "resolved", "reply_language"]


@pytest.fixture
def scenario(tmp_path):
    folder = write_scenario(
        tmp_path / "h", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A1", languages="fr;en", min_hours=0), agent("A2", languages="fr", min_hours=0)],
        shifts=[{"shift": "D", "site": "hq", "start": "15:00", "hours": 8}],
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180},
                 {"market": "US", "timezone": "America/New_York", "language": "en", "aht_seconds": 200}],
        forecast=[{"market": "FR", "start": "Mon 09:00", "questions": 1}, {"market": "US", "start": "Mon 09:00", "questions": 1}])
    return folder


def iso(t: datetime | None) -> str:
    return "" if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_review_figures_by_hand(scenario):
    # Twenty chats, FR, Tuesday 2026-11-24 20:xx Paris (19:xx UTC).
    base = datetime(2026, 11, 24, 19, 0, tzinfo=timezone.utc)
    rows = []
    for k in range(20):
        t = base + timedelta(minutes=2 * k)
        if k < 4:  # the bot
            rows.append(["FR", iso(t), iso(t + timedelta(seconds=2)), iso(t + timedelta(seconds=30)), "bot", 0, 1, "fr"])
        elif k < 14:  # answered after 10 s (6) or 90 s (4)
            wait = 10 if k < 10 else 90
            rows.append(["FR", iso(t), iso(t + timedelta(seconds=wait)), iso(t + timedelta(seconds=wait + 100)), "A1", 0, 1, "fr"])
        elif k == 14:  # answered in English: not resolved in the viewer's language
            rows.append(["FR", iso(t), iso(t + timedelta(seconds=5)), iso(t + timedelta(seconds=60)), "A1", 0, 1, "en"])
        elif k == 15:  # complex, answered after 100 s (within 180 s), unresolved after 400 s: escalated
            rows.append(["FR", iso(t), iso(t + timedelta(seconds=100)), iso(t + timedelta(seconds=400)), "A2", 1, 0, "fr"])
        else:  # four left unanswered after 50 s
            rows.append(["FR", iso(t), "", iso(t + timedelta(seconds=50)), "", 0, 0, ""])
    path = scenario / "history.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    sc = load_scenario(scenario)
    cells = R.review_cells(load_history(path, sc), sc)
    [c] = cells.to_dict("records")
    assert (c["market"], c["weekday"], c["hour"], c["questions"]) == ("FR", "Tue", 20, 20)
    assert c["bot_share"] == pytest.approx(4 / 20)
    assert c["asa_seconds"] == pytest.approx((6 * 10 + 4 * 90 + 5 + 100) / 12)
    assert c["service_level"] == pytest.approx(7 / 15)  # general human: 6 at 10 s + 1 at 5 s of 15
    assert c["complex_within"] == pytest.approx(1.0)
    assert c["abandon_rate"] == pytest.approx(4 / 16)
    assert c["escalated"] == 1  # the complex one, unresolved at 400 s; the four who left after 50 s are abandoned
    assert c["wrong_language"] == 1
    assert c["resolution_rate"] == pytest.approx((4 + 10) / 20)  # bot 4 + answered in French and resolved 10
    assert c["late"] == 4 + 4  # four waited 90 s, four abandoned
    assert "asa" in c["missed"] and "abandonment" in c["missed"] and "resolution" in c["missed"]


def test_history_validation_names_file_row_column(scenario, capsys):
    path = scenario / "bad.csv"
    path.write_text("market,arrived_at,first_reply_at,complex\n"
                    "FR,2026-11-24 20:00,,0\n"
                    "XX,2026-11-24T19:00:00Z,,1\n"
                    "FR,2026-11-24T19:00:00Z,2026-11-24T18:00:00Z,2\n")
    r = rota(capsys, "review", scenario, path, "--out", scenario / "o")
    assert r.code == 2
    assert "bad.csv, row 2, column arrived_at: '2026-11-24 20:00': expected an offset or Z" in r.err
    assert "bad.csv, row 3, column market: 'XX': unknown market" in r.err
    assert "bad.csv, row 4, column complex: '2': expected 0 or 1" in r.err


def synthetic(scenario_folder, weeks=6, trend=0.05, seed=3, drop_day=None):
    """Poisson questions with a known weekly profile (FR, Paris time) and trend, across the 2026 DST change."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 9, 28)  # a Monday; the clocks go back on 2026-10-25
    import pytz
    tz = pytz.timezone("Europe/Paris")
    shape = np.array([[(5 + 20 * math.exp(-((h - 20) ** 2) / 8)) * (1.3 if d >= 5 else 1.0) for h in range(24)] for d in range(7)])
    rows = []
    for w in range(weeks):
        for d in range(7):
            day = start + timedelta(days=7 * w + d)
            if drop_day is not None and (w, d) == drop_day:
                continue
            for h in range(24):
                n = rng.poisson(shape[d, h] * (1 + trend) ** w)
                t0 = tz.localize(day + timedelta(hours=h))
                for s in rng.uniform(0, 3600, n):
                    t = (t0 + timedelta(seconds=float(s))).astimezone(timezone.utc)
                    rows.append({"market": "FR", "arrived_at": iso(t), "first_reply_at": iso(t + timedelta(seconds=20)),
                                 "ended_at": iso(t + timedelta(seconds=200)), "handled_by": "A1", "complex": 0, "resolved": 1,
                                 "reply_language": "fr"})
    path = scenario_folder / "hist.csv.gz"
    frame = pd.DataFrame(rows)
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode(), mtime=0))
    return path, shape


def test_forecast_recovers_profile_and_trend_and_beats_naive(scenario):
    path, shape = synthetic(scenario, weeks=8, trend=0.05, drop_day=(3, 2))  # a missing Wednesday in week 4
    sc = load_scenario(scenario)
    f = with_local(load_history(path, sc), sc)
    counts = weekly_counts(f, 60, {"FR": "Europe/Paris"})["FR"]
    assert len(counts) == 8 and counts.iloc[3, 2 * 24:3 * 24].isna().all()
    profile, acc = F.forecast_market(counts, 8)
    expected = shape.reshape(-1) * 1.05 ** 8
    assert abs(profile.sum() - expected.sum()) / expected.sum() < 0.06  # the level after the trend
    peak = profile.reshape(7, 24)[:5, 20].mean()
    assert abs(peak - expected.reshape(7, 24)[:5, 20].mean()) / peak < 0.15
    assert acc.beats_naive and acc.trend_per_week > 0.02


def test_the_loop_end_to_end(scenario, tmp_path, capsys):
    path, _ = synthetic(scenario, weeks=4, trend=0.0)
    r = rota(capsys, "forecast", path, "--scenario", scenario, "--out", scenario / "forecast.csv", "--force")
    assert r.code == 0 and "beats_naive" in r.out
    rows = list(csv.DictReader((scenario / "forecast.csv").open(encoding="utf-8-sig")))
    assert {x["market"] for x in rows} == {"FR"} and rows[0]["start"] == "Mon 00:00" and len(rows) == 168
    # US has no history: keep the scenario's own rows for it so the forecast stays complete.
    with (scenario / "forecast.csv").open("a") as fh:
        fh.write("US,Mon 09:00,1\n")
    assert rota(capsys, "plan", scenario, "--week", "2026-11-30", "--out", tmp_path / "o", "--time-limit", "5", "--quiet").code == 0
    r = rota(capsys, "review", scenario, path, "--roster", tmp_path / "o" / "h-2026-W49-roster.csv", "--out", tmp_path / "o")
    assert r.code == 0, r.err
    assert "worst gaps:" in r.out
    wb = load_workbook(tmp_path / "o" / "h-hist-review.xlsx")
    assert wb.sheetnames == ["Review", "ByHour", "Gaps"]
    assert [c.value for c in wb["Gaps"][1]] == ["queue", "timezone", "weekday", "hour", "arrivals", "on_shift", "needed", "gap"]


# ------------------------------------------------------------------ the forecast's weights and trend, by hand

def weeks(*rows) -> pd.DataFrame:
    """Weekly counts per slot, oldest week first (as `weekly_counts` gives them)."""
    return pd.DataFrame([list(r) for r in rows], dtype=float)


def test_recent_weeks_weigh_more_by_the_decay():
    assert F.DECAY == 0.7  # weights 1, 0.7, 0.49, ... by age, as the module says
    # Two weeks: too few for a trend. A slot missing in a week is averaged over the weeks that have it.
    base, trend = F.profile(weeks([10, 0, 4], [20, 10, math.nan]))
    assert base == pytest.approx([(0.7 * 10 + 20) / 1.7, 10 / 1.7, 4.0]) and trend == 0.0
    # Three weeks with the same total: the profile shifts between slots, the level does not move.
    base, trend = F.profile(weeks([10, 20], [20, 10], [15, 15]))
    assert base == pytest.approx([(0.49 * 10 + 0.7 * 20 + 15) / 2.19, (0.49 * 20 + 0.7 * 10 + 15) / 2.19])
    assert trend == pytest.approx(0.0, abs=1e-9)
    # Totals 10, 30, 20: a slope of 5 a week with a standard error of 8.7 (t = 0.58) is no clear trend.
    base, trend = F.profile(weeks([10], [30], [20]))
    assert base == pytest.approx([(0.49 * 10 + 0.7 * 30 + 20) / 2.19]) and trend == 0.0


def test_a_clear_trend_is_followed_and_clipped_to_half_or_double():
    # 100, 110, 120: the weighted level (49 + 77 + 120) / 2.19 = 112.3 is scaled to the line's next week, 130.
    base, trend = F.profile(weeks([100], [110], [120]))
    assert base == pytest.approx([130.0]) and trend == pytest.approx(10 / 110)
    # Totals 11, 110, 209: the line says 308, 2.3 times the weighted level 291.4 / 2.19 = 133.1: held at
    # double, every slot alike.
    base, trend = F.profile(weeks([10, 1], [100, 10], [190, 19]))
    level = (0.49 * 10 + 0.7 * 100 + 190) / 2.19
    assert base == pytest.approx([2 * level, 2 * level / 10]) and trend == pytest.approx(90 / 100)
    # 100, 70, 40: the line says 10, a sixth of the weighted level 138 / 2.19 = 63.0: held at half.
    base, trend = F.profile(weeks([100], [70], [40]))
    assert base == pytest.approx([0.5 * 138 / 2.19]) and trend == pytest.approx(-30 / 70)


def test_a_fall_projected_below_zero_is_held_at_half_not_ignored():
    """A fall the trend line projects below zero is held at half the recent level, like any steep fall
    (it used to be ignored: 190, 100, 10 questions forecast 79, the level itself, while 100, 70, 40 gave 31.5)."""
    for totals in ([100.0, 70.0, 40.0], [150.0, 90.0, 30.0], [190.0, 100.0, 10.0]):
        forecast, trend = F.profile(weeks(*[[t] for t in totals]))
        level = (0.49 * totals[0] + 0.7 * totals[1] + totals[2]) / (0.49 + 0.7 + 1)
        assert forecast[0] == pytest.approx(0.5 * level) and trend < 0
