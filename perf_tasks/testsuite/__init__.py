"""Know the workspace's tests: which a change can affect (`affected.py`), which are ignored and why
(`ignored.py`), which are slow (`slow.py`). Each module's entry point takes a request and returns a
frozen result; nothing here prints."""
