"""python-upgrade-fleet: status (and, to come, apply) of copier-python-upgrade across many repositories."""
