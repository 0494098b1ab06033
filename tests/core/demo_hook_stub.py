"""Stand-in for another app's `demo` module in the seed_demo tests: records that seed_demo called it."""

calls: list[str] = []


def load_demo_things() -> None:
    calls.append("load_demo_things")
