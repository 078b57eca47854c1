"""creatorkit_kuaishou: the Kuaishou open-platform adapter and partner-export import.

Not registered as a plugin yet: its adapter and sandbox transport arrive with the Kuaishou platform issue.
Until then nothing here claims a capability.
"""
