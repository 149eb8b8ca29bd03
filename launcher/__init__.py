"""Entry points: the ``linecare`` command and the wiring of the stages."""
