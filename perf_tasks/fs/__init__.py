"""File-system accounting and deletion close to the speed of `du` and `rm -rf`."""
