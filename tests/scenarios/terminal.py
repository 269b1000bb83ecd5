"""A program at Sluice's serial console, for the tests that type at it and
wait for its answers (test_make_run: make run's terminal on pipes;
test_console_socket: QEMU's serial port on a Unix socket)."""
import queue
import re
import threading
import time


class Terminal:
    """Lines read from stream (a binary file object) by a thread, and typed
    input through write (bytes -> None); lines keeps all that was read."""

    def __init__(self, stream, write):
        self.write, self.lines, self.q = write, [], queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        try:
            for raw in stream:
                self.q.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        self.q.put(None)

    def wait_for(self, pattern, timeout):
        """The first line from now on matching pattern; fails with the last lines read."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            try:
                line = self.q.get(timeout=max(0.05, left)) if left > 0 else None
            except queue.Empty:
                continue
            if line is None:
                tail = "\n".join(self.lines[-30:])
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s; last lines:\n{tail}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def type(self, text, end=b"\r"):
        """Types text and then end (Enter, as a terminal sends it)."""
        self.write(text.encode() + end)

    def converse(self, turns, timeout=30):
        """turns: (typed, answer pattern) pairs, each typed once the one before was answered;
        typed is text followed by Enter, or bytes sent as they are."""
        for typed, answer in turns:
            if isinstance(typed, bytes):
                self.write(typed)
            else:
                self.type(typed)
            self.wait_for(answer, timeout)
