"""`python -m vaultsync`: the same as the `vaultsync` command."""

from vaultsync.cli import main

if __name__ == "__main__":
    main()
