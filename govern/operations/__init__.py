"""Running Govern as a service: its health (`health.py`: live and ready, each check named and
timed), its log lines (`logs.py`: one JSON object a line, with the request's id), and the two
routes an operator polls (`views.py`: `/healthz`, `/readyz`).

It watches every capability and decides nothing for any: the layer just under the wiring.
"""
