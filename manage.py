#!/usr/bin/env python
"""Django's command-line utility; ``perfcycle`` (the console script) does the same."""

from perfcycle.cli import main

if __name__ == "__main__":
    main()
