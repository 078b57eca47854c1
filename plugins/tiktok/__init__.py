"""creatorkit_tiktok: the TikTok Creator Marketplace / TikTok One adapter.

Not registered as a plugin yet: its adapter and sandbox transport arrive with the TikTok platform issue.
Until then nothing here claims a capability.
"""
