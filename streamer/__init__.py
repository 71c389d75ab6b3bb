"""A digital-human host that sells on livestreams around the clock.

Data flow of one session: brief -> planner -> speech queue -> tts -> avatar -> scene -> encoder -> outputs.
"""

__version__ = "0.1.0"
