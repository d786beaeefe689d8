"""One browser session's state, kept while its user moves between the pages.

Solara unmounts a page when the user opens another one, and everything the page held would
go with it: the Explore model and the comparison running in the background. So the app's
layout, which lives as long as the browser session, owns a `Session` and hands it to the
pages (`use_session`). Nothing here is shared between sessions: each browser session has
its own layout, hence its own `Session`, model, runs and folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import solara

from .serve import SCRATCH_ENV


class Session:
    """The state of one browser session.

    - `explore`, `compare`: each page's remembered values (see `remembered`);
    - `progress`: the last progress report of this session's comparison (reactive, so the
      Compare page follows it while it runs in a background thread);
    - `folder`: a temporary folder for the session's scratch files (the engine's logs),
      removed by `close()`; the comparisons themselves are saved under results/.
    """

    def __init__(self, progress: solara.Reactive):
        self.explore: dict[str, Any] = {}
        self.compare: dict[str, Any] = {}
        self.progress = progress
        self.job: Any = None  # what the background run is working on
        self._cancel = threading.Event()
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            # inside the server's scratch folder when served (removed when it stops)
            self._folder = Path(tempfile.mkdtemp(prefix="sme-dashboard-session-",
                                                 dir=os.environ.get(SCRATCH_ENV)))
        return self._folder

    def start(self, job: Any, steps: Callable[[threading.Event], Iterator[Any]]) -> None:
        """Run `steps(cancel)` in a background thread (stopping the one before), publishing
        each report it yields as `progress`."""
        self._cancel.set()
        cancel = self._cancel = threading.Event()
        self.job = job

        def work():
            for report in steps(cancel):
                if self.job is job:
                    self.progress.set(report)

        threading.Thread(target=work, name="dashboard-run", daemon=True).start()

    def cancel(self) -> None:
        self._cancel.set()

    def close(self) -> None:
        """The session ended: stop its run and remove its files."""
        self._cancel.set()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


SESSION = solara.create_context(None)


def use_new_session() -> Session:
    """A Session owned by the calling component, closed when the component goes."""
    progress = solara.use_reactive(None)
    session = solara.use_memo(lambda: Session(progress), [])
    solara.use_effect(lambda: session.close, [])
    return session


def use_session() -> Session:
    """The browser session's Session (from the layout), or the page's own when the page is
    shown without the app's layout (as in the component tests)."""
    shared = solara.use_context(SESSION)
    own = use_new_session()
    return shared or own


def remembered(store: dict, key: str, default: Any) -> solara.Reactive:
    """A page's reactive value that the session keeps when the page is left."""
    return solara.use_reactive(store.get(key, default),
                               on_change=lambda value: store.__setitem__(key, value))
