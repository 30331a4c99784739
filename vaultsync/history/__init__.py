"""A note's history: its versions from the vault's git history, vaultsync's journal and its file (`vaultsync log`)."""
