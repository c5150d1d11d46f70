"""Configuration sections, one module per room (each room's owner edits only
its own module); ``canhgac.config.Settings`` composes them.

Every section model forbids unknown keys, so a typo is an error naming it.
"""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
