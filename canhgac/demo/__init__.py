"""The demo: a fictional city's day of network traffic and news, run through
every room of Canhgac (``canhgac demo``, what ``make demo`` runs).

- ``network``  writes the day's logs and a small capture (normal traffic plus
               an attack story) in the formats the collectors read;
- ``outlets``  builds fictional news outlets and social pages and serves them
               on loopback for the crawlers;
- ``scenario`` runs collectors, crawlers, NLP and detection over them, as
               ``canhgac`` subcommands, and checks the incidents the story implies;
- ``summary``  the store-only summary of generated events (``demo --summary``).

Everything generated is demo data written by this project and marked so.
"""
