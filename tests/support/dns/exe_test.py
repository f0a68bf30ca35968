"""confab-test-dns as integration tests use it: "port=<n>" first, answers over UDP, zone
reload on SIGHUP, clean exit on SIGTERM. Run with CONFAB_TEST_DNS=<path to the binary>."""
import os
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

ZONE = """records:
  - {name: _sip._tcp.b.test, type: SRV, ttl: 1, priority: 10, weight: 5, port: 5070, target: h.b.test}
  - {name: h.b.test, type: A, address: 127.0.0.2}
names:
  quiet.b.test: {drop: true}
"""


def query(port, name, qtype, timeout=0.5):
    """(rcode, answer count) of one UDP query, or None without a reply."""
    msg = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    msg += b"".join(bytes([len(label)]) + label.encode() for label in name.split("."))
    msg += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, ("127.0.0.1", port))
        try:
            reply = s.recv(4096)
        except socket.timeout:
            return None
    return reply[3] & 0x0F, struct.unpack(">H", reply[6:8])[0]


class ConfabTestDns(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.zone = os.path.join(self.dir.name, "zone.yaml")
        with open(self.zone, "w") as fh:
            fh.write(ZONE)
        self.proc = subprocess.Popen([os.environ["CONFAB_TEST_DNS"], "--zone", self.zone],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        self.assertTrue(ready, "no port= line within 10 s")
        line = self.proc.stdout.readline().decode().strip()
        self.assertRegex(line, r"^port=\d+$")
        self.port = int(line.split("=")[1])

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.dir.cleanup()

    def test_answers_reloads_and_exits(self):
        self.assertEqual(query(self.port, "_sip._tcp.b.test", 33), (0, 1))
        self.assertEqual(query(self.port, "H.B.TEST", 1), (0, 1))
        self.assertEqual(query(self.port, "h.b.test", 28), (0, 0))  # NODATA
        self.assertEqual(query(self.port, "x.b.test", 1), (3, 0))   # NXDOMAIN
        self.assertIsNone(query(self.port, "quiet.b.test", 1))

        with open(self.zone, "w") as fh:
            fh.write("records: []\nnames: {h.b.test: {servfail: true}}\n")
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while query(self.port, "h.b.test", 1) != (2, 0) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(query(self.port, "h.b.test", 1), (2, 0))  # SERVFAIL after reload

        with open(self.zone, "w") as fh:
            fh.write("records: [unclosed\n")  # a broken file keeps the old zone
        self.proc.send_signal(signal.SIGHUP)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(5), 0)
        log = self.proc.stderr.read().decode()
        self.assertIn("dns: _sip._tcp.b.test SRV -> NOERROR 1", log)
        self.assertIn("zone reloaded", log)


if __name__ == "__main__":
    unittest.main()
