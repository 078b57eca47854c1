"""creatorkit_payments: payment providers and commission policies shipped with creatorkit.

* :mod:`creatorkit_payments.ledger_escrow` — the built-in escrow, kept on a creatorkit ledger (``ledger_escrow``);
* :mod:`creatorkit_payments.stripe_connect` — Stripe Connect, separate charges and transfers (``stripe_connect``);
* :mod:`creatorkit_payments.wechatpay` — WeChat Pay v3 profit sharing, for CNY (``wechatpay``);
* :mod:`creatorkit_payments.fees` — the ``flat``, ``tiered`` and ``per_platform`` commission policies.

Each provider is an entry point in ``creatorkit.payments``; the policies are in ``creatorkit.fees``.
"""
