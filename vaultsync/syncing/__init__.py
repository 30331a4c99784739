"""The vault's own repository kept committed, pulled and pushed: `vaultsync sync` and `watch --sync`."""
