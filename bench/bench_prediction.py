"""Benchmark for prediction: a backtest on held-out posts of the sandboxes' shared synthetic population.

The history is the one every sandbox serves (``creatorkit.toolkit.Population``, seed 7: what the TikTok sandbox
and the others turn into their own JSON): per account, posts at a cadence of 1–7 days, views log-normal around
the account's average (σ 0.8, so heavy-tailed), 8 % sponsored with 0.8× the views and 0.7× the engagement rate,
each post's figures growing as 1 − e^(−age/τ) with τ of 0.7–3 days. For each of ``accounts`` accounts with at
least ``HISTORY + HELD_OUT`` posts, the newest ``HELD_OUT`` posts are held out; the prediction is made at the
moment the first of them is published, from the ``HISTORY`` posts before it *as they read at that moment* (the
newest still growing), for the held-out post's own kind (sponsored or organic); it is judged against what the
held-out post ends with.

- ``prediction.mape``: mean |predicted − actual| ÷ actual of the views, over every held-out post;
- ``prediction.baseline_mape``: the same for the naive prediction, the mean views of the last 10 posts as read at
  that moment (what a spreadsheet does), in the same run; the goal is mape ≤ 0.85 × baseline. Beside it,
  ``baseline_settled_mape`` in the record: the naive mean over the last 10 *settled* posts, to show how much of
  the gain is only leaving out posts still growing;
- ``prediction.interval_coverage``: the share of held-out posts whose final views fall inside the predicted 80 %
  interval; the goal is 0.75–0.85.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

from creatorkit.analytics import PastPost, predict
from creatorkit.entities import PostKind
from creatorkit.toolkit import Population

NAMES = {"bench_prediction": ["prediction.mape", "prediction.baseline_mape", "prediction.interval_coverage"]}

SEED = 7
HISTORY = 40
HELD_OUT = 5
NAIVE_POSTS = 10
SETTLE_DAYS = 7.0


def _backtest(accounts: int, platform: str | None) -> dict[str, list[float]]:
    population = Population(seed=SEED)
    errors: dict[str, list[float]] = {
        name: []
        for name in ("method", "naive", "naive_settled", "covered", "width", "engagements", "naive_engagements")
    }
    tested = 0
    for person in population.people():
        for account in person.accounts:
            if tested >= accounts:
                return errors
            if (platform and account.platform != platform) or account.post_count < HISTORY + HELD_OUT:
                continue
            tested += 1
            posts = list(population.posts(account, limit=HISTORY + HELD_OUT))  # newest first
            held_out, before = posts[:HELD_OUT], posts[HELD_OUT:]
            cut = held_out[-1].published_at
            read = [(post, post.metrics_at(cut)) for post in before]
            history = [
                PastPost(
                    post_id=post.post_id,
                    published_at=post.published_at,
                    as_of=cut,
                    views=figures.views,
                    engagements=figures.likes + figures.comments + figures.shares + figures.saves,
                    sponsored=post.sponsored,
                )
                for post, figures in read
            ]
            naive = statistics.fmean(figures.views for _, figures in read[:NAIVE_POSTS])
            naive_engagements = statistics.fmean(figures.engagements for _, figures in read[:NAIVE_POSTS])
            settled = [f.views for p, f in read if cut - p.published_at >= timedelta(days=SETTLE_DAYS)]
            naive_settled = statistics.fmean(settled[:NAIVE_POSTS])
            predictions = {
                kind: predict(history, kind, key=account.account_id, as_of=cut, settle_days=SETTLE_DAYS)
                for kind in PostKind
            }
            for post in held_out:
                actual = post.final.views
                prediction = predictions[PostKind.SPONSORED if post.sponsored else PostKind.ORGANIC]
                views, engaged = prediction.views, post.final.engagements
                if engaged and prediction.engagements is not None:
                    errors["engagements"].append(abs(prediction.engagements.expected.value - engaged) / engaged)
                    errors["naive_engagements"].append(abs(naive_engagements - engaged) / engaged)
                errors["method"].append(abs(views.expected.value - actual) / actual)
                errors["naive"].append(abs(naive - actual) / actual)
                errors["naive_settled"].append(abs(naive_settled - actual) / actual)
                errors["covered"].append(1.0 if views.low <= actual <= views.high else 0.0)
                errors["width"].append(views.high / max(views.low, 1))
    return errors


def bench_prediction(accounts: int = 600, platform: str | None = None) -> list[dict[str, Any]]:
    errors = _backtest(accounts, platform)
    mape, baseline = statistics.fmean(errors["method"]), statistics.fmean(errors["naive"])
    common = {
        "accounts": accounts,
        "held_out_posts": len(errors["method"]),
        "seed": SEED,
        "history": f"{HISTORY} posts before the held-out {HELD_OUT}, read when the first held-out post is published",
        "data": "creatorkit.toolkit.Population (the sandboxes' shared synthetic population)",
    }
    return [
        {
            "name": "prediction.mape",
            "value": round(mape, 4),
            "unit": "ratio",
            "goal": f"<= 0.85 x baseline ({0.85 * baseline:.4f})",
            "ratio_to_baseline": round(mape / baseline, 4),
            "median_ape": round(statistics.median(errors["method"]), 4),
            "engagements_mape": round(statistics.fmean(errors["engagements"]), 4),
            "engagements_baseline_mape": round(statistics.fmean(errors["naive_engagements"]), 4),
            **common,
        },
        {
            "name": "prediction.baseline_mape",
            "value": round(baseline, 4),
            "unit": "ratio",
            "note": f"the mean views of the last {NAIVE_POSTS} posts as read when predicting",
            "baseline_settled_mape": round(statistics.fmean(errors["naive_settled"]), 4),
            **common,
        },
        {
            "name": "prediction.interval_coverage",
            "value": round(statistics.fmean(errors["covered"]), 4),
            "unit": "share",
            "goal": "0.75 - 0.85",
            "median_high_over_low": round(statistics.median(errors["width"]), 2),
            **common,
        },
    ]


if __name__ == "__main__":
    for item in bench_prediction():
        print(item)
