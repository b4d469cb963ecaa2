"""A test-runner workload: run a small unittest suite in-process.

The runner keeps the formatted failures, but while it runs, test cases,
outcomes, caught exceptions and their tracebacks refer to each other and to
frames, and much of that is left behind as cyclic garbage.  The suite, the
result object and the report stay alive.
"""

import io
import unittest
from collections import OrderedDict, deque
from unittest import mock


class Inventory:
    def __init__(self):
        self.items = OrderedDict()
        self.log = deque(maxlen=50)
        self.listeners = []

    def add(self, name, qty):
        if qty <= 0:
            raise ValueError("quantity must be positive: %r" % qty)
        self.items[name] = self.items.get(name, 0) + qty
        self.log.append(("add", name, qty))
        for listener in self.listeners:
            listener(name, self.items[name])

    def take(self, name, qty):
        have = self.items[name]
        if qty > have:
            raise LookupError("only %d %s left" % (have, name))
        self.items[name] = have - qty
        self.log.append(("take", name, qty))


class Notifier:
    """Sends a message through a transport when stock runs low."""

    def __init__(self, inventory, transport, threshold=2):
        self.transport = transport
        self.threshold = threshold
        inventory.listeners.append(self.changed)

    def changed(self, name, qty):
        if qty <= self.threshold:
            self.transport.send({"item": name, "qty": qty})


class Transport:
    def send(self, message):
        raise NotImplementedError

    def close(self):
        pass


class InventoryTest(unittest.TestCase):
    def setUp(self):
        self.inv = Inventory()
        self.changes = []
        # The fixture calls back into the test case: test <-> inventory.
        self.inv.listeners.append(self.record_change)
        for k in range(20):
            self.inv.add("part%d" % k, k + 1)

    def record_change(self, name, qty):
        self.changes.append((name, qty))

    def test_add(self):
        self.inv.add("part1", 5)
        self.assertEqual(self.inv.items["part1"], 7)

    def test_take(self):
        self.inv.take("part3", 4)
        self.assertEqual(self.inv.items["part3"], 0)

    def test_take_too_much(self):
        with self.assertRaises(LookupError):
            self.inv.take("part0", 2)

    def test_bad_quantity(self):
        self.assertRaises(ValueError, self.inv.add, "x", 0)

    def test_log_is_bounded(self):
        for k in range(100):
            self.inv.add("bulk", 1)
        self.assertEqual(len(self.inv.log), 50)

    def test_expected_failure_in_data(self):
        # Fails on purpose: the runner records the failure and traceback.
        self.assertEqual(sorted(self.inv.items)[:2], ["part0", "part2"])

    def test_error_in_code(self):
        # Errors on purpose: a KeyError escapes the test.
        self.inv.take("missing", 1)

    def test_subtests(self):
        for k in range(10):
            with self.subTest(k=k):
                self.assertLessEqual(self.inv.items["part%d" % k], 10)

    @unittest.skip("demonstrates a skip")
    def test_skipped(self):
        pass


class NotifierTest(unittest.TestCase):
    def setUp(self):
        self.inv = Inventory()
        self.transport = mock.Mock(spec=Transport)
        self.notifier = Notifier(self.inv, self.transport)
        self.addCleanup(self.transport.close)

    def test_low_stock_is_sent(self):
        self.inv.add("bolt", 1)
        self.transport.send.assert_called_once_with({"item": "bolt", "qty": 1})

    def test_high_stock_is_quiet(self):
        self.inv.add("nut", 10)
        self.transport.send.assert_not_called()

    def test_patched_threshold(self):
        with mock.patch.object(self.notifier, "threshold", 20):
            for k in range(5):
                self.inv.add("washer%d" % k, 10 + k)
        self.assertEqual(self.transport.send.call_count, 5)

    def test_magic_mock_transport(self):
        transport = mock.MagicMock()
        transport.send.return_value = {"ok": True}
        Notifier(self.inv, transport, threshold=100)
        for k in range(8):
            self.inv.add("screw%d" % k, k + 1)
        self.assertEqual(len(transport.send.mock_calls), 8)
        self.assertTrue(transport.send.return_value["ok"])


class ArithmeticTest(unittest.TestCase):
    def test_many(self):
        for a in range(30):
            for b in range(1, 30):
                with self.subTest(a=a, b=b):
                    self.assertEqual((a // b) * b + a % b, a)


def load():
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in (InventoryTest, NotifierTest, ArithmeticTest):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


report = io.StringIO()
results = []
for run in range(4):
    suite = load()
    result = unittest.TextTestRunner(stream=report, verbosity=2).run(suite)
    results.append((result.testsRun, len(result.failures),
                    len(result.errors), len(result.skipped)))
kept_suite, kept_result = suite, result
del suite, result

print("unittest_run: runs=%d last=%s report=%d chars"
      % (len(results), results[-1], len(report.getvalue())))
