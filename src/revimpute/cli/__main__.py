"""``python -m revimpute.cli``: the command line."""

from revimpute.cli import main

if __name__ == "__main__":
    main()
