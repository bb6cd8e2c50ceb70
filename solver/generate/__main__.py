"""python -m solver.generate --schools N --seed K [--out FILE]"""

from .cli import main

raise SystemExit(main())
