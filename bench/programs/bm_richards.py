"""Object-oriented scheduling in the shape of the richards benchmark:
many small instances, attribute access, method calls, queues."""
import collections

class Packet:
    __slots__ = ("link", "ident", "kind", "datum", "data")
    def __init__(self, link, ident, kind):
        self.link, self.ident, self.kind, self.datum = link, ident, kind, 0
        self.data = [0] * 4

class Task:
    def __init__(self, ident, priority, scheduler):
        self.ident, self.priority, self.scheduler = ident, priority, scheduler
        self.queue = collections.deque()
        self.count = 0
    def run(self, packet):
        self.count += 1
        packet.datum = (packet.datum + self.ident) % 26
        packet.data[packet.datum % 4] += 1
        if packet.datum % 3:
            target = self.scheduler.tasks[(self.ident + packet.datum) % len(self.scheduler.tasks)]
            target.queue.append(Packet(packet, target.ident, packet.kind))
        return packet.link

class Scheduler:
    def __init__(self, n):
        self.tasks = [Task(i, i % 5, self) for i in range(n)]
    def schedule(self, rounds):
        for r in range(rounds):
            for task in sorted(self.tasks, key=lambda t: (t.priority, -len(t.queue))):
                steps = 0
                while task.queue and steps < 8:
                    task.run(task.queue.popleft())
                    steps += 1
            if r % 10 == 0:
                for t in self.tasks:
                    t.queue.append(Packet(None, t.ident, r % 2))
        return sum(t.count for t in self.tasks)

for _ in range(3):
    s = Scheduler(40)
    s.schedule(400)
