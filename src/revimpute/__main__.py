"""``python -m revimpute``: the command line."""

from revimpute.cli import main

if __name__ == "__main__":
    main()
