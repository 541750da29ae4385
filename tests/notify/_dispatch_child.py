"""A dispatcher in its own process, for the kill-during-dispatch test.

Usage: python -m tests.notify._dispatch_child DB_URL HOOK_URL LEASE_SECONDS
"""

from __future__ import annotations

import sys
from datetime import timedelta

from breakglass.notify import dispatch_once
from breakglass.store import Store
from tests.support.notify import HMAC_SECRET, make_settings


def main() -> None:
    db_url, url, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
    channel = {
        "name": "hook",
        "kind": "webhook",
        "url": url,
        "hmac_secret": HMAC_SECRET,
        "timeout_seconds": 60,
    }
    settings = make_settings(db_url, [channel])
    with Store.open(db_url) as store:  # as an entry point does
        dispatch_once(
            settings, session_factory=store.session_factory, lease=timedelta(seconds=lease)
        )


if __name__ == "__main__":
    main()
