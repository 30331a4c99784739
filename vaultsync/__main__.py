"""`python -m vaultsync`: the same as the `vaultsync` command."""

from vaultsync.cli.main import main

if __name__ == "__main__":
    main()
