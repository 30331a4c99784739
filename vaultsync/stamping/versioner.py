"""The names the CLI imports from here; they live in stamping.plan, stamping.apply and stamping.stamps."""

from vaultsync.stamping.apply import apply_stamps as apply_stamps
from vaultsync.stamping.plan import plan_bump as plan_bump
from vaultsync.stamping.plan import plan_vault_stamps as plan_vault_stamps
from vaultsync.stamping.stamps import count_stamps as count_stamps
from vaultsync.stamping.stamps import stamp_failed as stamp_failed
from vaultsync.stamping.stamps import with_problems as with_problems
