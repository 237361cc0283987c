"""``python -m bot.cli``: the same as the ``storefront`` command."""

from bot.cli import main

raise SystemExit(main())
