"""The policymaker dashboard (Solara): Explore, Compare and Results pages.

`python run.py dashboard` serves it (dashboard/serve.py); the app is dashboard/app.py.
Dependencies run one way: dashboard -> analysis -> simulation.
"""

import os

# Users' scenarios are nobody else's business: no usage telemetry (DESIGN §9). Solara reads
# this when it is first imported, so it is set before any dashboard module imports solara.
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
