"""creatorkit_instagram: the Instagram Graph API adapter (business discovery, insights, creator marketplace).

Not registered as a plugin yet: its adapter and sandbox transport arrive with the Instagram platform issue.
Until then nothing here claims a capability.
"""
