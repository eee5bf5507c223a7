"""``python -m pytiktoklive``: the command line (see :mod:`pytiktoklive.cli`)."""

from pytiktoklive.cli import main

raise SystemExit(main())
