"""``python -m tearsheet.demo``: serve the demo site in the foreground for a look."""

import argparse
import contextlib
import threading

from tearsheet.demo import DemoSite


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tearsheet.demo", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    args = parser.parse_args()
    with DemoSite(host=args.host) as site:
        for outlet in site.outlets:
            print(f"{outlet.name:<16} {outlet.home_url}", flush=True)
        print("Serving the demo news site; press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
