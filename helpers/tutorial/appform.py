"""Notebook 01's form: paste the Consumer Key and Secret of an app made on the Setup page.

The two fields are ``Password`` widgets, emptied as soon as they are read, so the secret
never lands in the saved notebook (not even in widget state). In scripted mode nothing
is shown: the notebook registers the app itself.
"""

from __future__ import annotations

from typing import Any

from ..errors import SalesforceOAuthError
from .mode import is_scripted
from .target import Target, save_app_credentials


class AppForm:
    """Holds the target updated by the form (``form.target``) once Save succeeded."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.saved = False

    def show(self) -> AppForm:
        if is_scripted():
            print("Scripted mode: no form; the next cell registers the app from the notebook.")
            return self
        import ipywidgets as w
        from IPython.display import display

        # "initial": the whole label as Salesforce shows it (the default cuts it to "Consumer…")
        label = {"description_width": "initial"}
        key = w.Password(description="Consumer Key", style=label, layout=w.Layout(width="70%"))
        secret = w.Password(description="Consumer Secret", style=label,
                            layout=w.Layout(width="70%"))
        save = w.Button(description="Save for the local orgs", button_style="primary")
        out = w.Output()

        def on_save(_: Any) -> None:
            client_id, client_secret = key.value, secret.value
            key.value = secret.value = ""  # never kept in the widget (or the notebook file)
            try:
                self.target, app = save_app_credentials(self.target, client_id, client_secret)
            except SalesforceOAuthError as exc:
                out.append_stdout(f"Not saved: {exc}\n")
            else:
                self.saved = True
                out.append_stdout(f"Saved {app!r} in the local data folder (file mode "
                                  "0600). Continue with the next section.\n")

        save.on_click(on_save)
        display(w.VBox([key, secret, save, out]))
        return self
