"""creatorkit_payments: escrow and payout providers (ledger escrow, Stripe Connect, CNY split payments).

Not registered as a plugin yet: the providers arrive with the payments issue.
Until then nothing here claims a capability.
"""
