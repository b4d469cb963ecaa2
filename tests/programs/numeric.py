"""Numbers: big ints, decimal, fractions, statistics, heapq, bisect."""
import bisect, decimal, fractions, heapq, math, statistics

f = math.factorial(1000)
print("factorial digits", len(str(f)), str(f)[:30], f % 1000003)
print("pow", pow(3, 10 ** 5, 10 ** 40 + 7), pow(2, 4423) - 1 > 0)
decimal.getcontext().prec = 80
d = sum(decimal.Decimal(1) / decimal.Decimal(k) for k in range(1, 3000))
print("harmonic", d)
h = sum(fractions.Fraction(1, k) for k in range(1, 300))
print("fraction", h.numerator % 10 ** 12, h.denominator % 10 ** 12)
data = [((i * 7919) % 10007) / 13.0 for i in range(20000)]
print("stats", round(statistics.mean(data), 6), round(statistics.median(data), 6),
      round(statistics.pstdev(data), 6))
heap = []
for x in data:
    heapq.heappush(heap, -x)
    if len(heap) > 50:
        heapq.heappop(heap)
print("top", sorted(-x for x in heap)[-5:])
sorted_data = sorted(data)
print("bisect", [bisect.bisect_left(sorted_data, q) for q in (1.0, 100.0, 500.0)])
primes = [n for n in range(2, 30000) if all(n % p for p in range(2, math.isqrt(n) + 1))]
print("primes", len(primes), primes[-3:], sum(primes))
fib = [0, 1]
for _ in range(1500):
    fib.append(fib[-1] + fib[-2])
print("fib", len(str(fib[-1])), fib[-1] % 998244353)
