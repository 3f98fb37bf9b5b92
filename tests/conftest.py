import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# A run started in the background (`pytest &` in a script) inherits an ignored SIGINT, and so would the
# `rota` processes that the Ctrl-C tests start and interrupt: give them the terminal's Ctrl-C back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
