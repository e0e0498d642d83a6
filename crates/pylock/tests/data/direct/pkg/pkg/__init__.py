"""A local project with static metadata."""
