"""The one thing pyproject.toml cannot say: the fast lane's optional C extension.

`optional=True`: where no C compiler (or no Python headers) is found, the build warns and goes
on without it, and `dlrkit.fastlane` runs its loop in Python, with the same output.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dlrkit._lane",
            sources=["src/dlrkit/_lane.c"],
            optional=True,
        )
    ]
)
