from tests.bot.conftest import demo_kb, warm_embeddings  # noqa: F401 - shared fixtures
