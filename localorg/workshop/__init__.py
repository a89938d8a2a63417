"""Trainer mode: one shared pair of local orgs for a whole room (workshops).

- ``expose.py``   ``serve --expose``: the address to bind, the name URLs use, TLS on every
  host, the trainer key of the room page and the start banner
- ``learners.py`` ``add-learners``: a user in ORG A and ORG B plus an ORG B app per learner,
  and the CSV handout with their credentials
- ``room.py``     pages of the exposed login host: ``/trust``, ``/localorg-ca.pem`` and the
  trainer's ``/_localorg/room`` progress table

A classroom convenience on a network the trainer controls, not a production server.
"""
