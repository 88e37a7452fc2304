// The host hrtimer queue against a simple model: a list sorted by (expiry, arming order).
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor.Tests;

public class HrTimerQueueTests
{
    [Fact]
    public void EqualExpiries_FireInArmingOrder()
    {
        var q = new HrTimerQueue();
        var fired = new List<string>();
        var a = new HrTimer("a", (t, _) => fired.Add(t.Name));
        var b = new HrTimer("b", (t, _) => fired.Add(t.Name));
        var c = new HrTimer("c", (t, _) => fired.Add(t.Name));
        q.Arm(b, 100); q.Arm(a, 100); q.Arm(c, 50);
        q.RunExpired(100);
        Assert.Equal(["c", "b", "a"], fired);
    }

    [Fact]
    public void Rearm_MovesTheTimerAndCountsAsANewArming()
    {
        var q = new HrTimerQueue();
        var a = new HrTimer("a", (_, _) => { });
        var b = new HrTimer("b", (_, _) => { });
        q.Arm(a, 10); q.Arm(b, 20);
        q.Arm(a, 30);
        Assert.Same(b, q.Earliest);
        Assert.Equal(2, q.Count);
    }

    [Fact]
    public void Callback_MayRearmItsOwnTimer()
    {
        var q = new HrTimerQueue();
        int runs = 0;
        HrTimer? t = null;
        t = new HrTimer("t", (timer, now) => { if (++runs < 3) q.Arm(timer, now + 10); });
        q.Arm(t, 10);
        q.RunExpired(10); q.RunExpired(20); q.RunExpired(30);
        Assert.Equal(3, runs);
        Assert.False(t.IsArmed);
    }

    [Fact]
    public void Cancel_OfAnUnarmedTimer_ReturnsFalse()
    {
        var q = new HrTimerQueue();
        Assert.False(q.Cancel(new HrTimer("x", (_, _) => { })));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomOperations_MatchASortedListModel(int seed)
    {
        var rng = new Random(seed);
        var q = new HrTimerQueue();
        var timers = Enumerable.Range(0, 40).Select(i => new HrTimer($"t{i}", (_, _) => { })).ToArray();
        var model = new Dictionary<HrTimer, (long Expiry, long Order)>();
        long order = 0, now = 0;
        var firedQueue = new List<HrTimer>();
        var firedModel = new List<HrTimer>();
        for (int step = 0; step < 5000; step++)
        {
            HrTimer t = timers[rng.Next(timers.Length)];
            switch (rng.Next(4))
            {
                case 0:
                case 1:
                    long expiry = now + rng.Next(0, 200);
                    q.Arm(t, expiry);
                    model[t] = (expiry, order++);
                    break;
                case 2:
                    Assert.Equal(model.Remove(t), q.Cancel(t));
                    break;
                default:
                    now += rng.Next(0, 50);
                    while (q.PopExpired(now) is { } popped) firedQueue.Add(popped);
                    foreach (var kv in model.Where(kv => kv.Value.Expiry <= now).OrderBy(kv => kv.Value.Expiry).ThenBy(kv => kv.Value.Order).ToList())
                    {
                        firedModel.Add(kv.Key);
                        model.Remove(kv.Key);
                    }
                    break;
            }
            Assert.Equal(model.Count, q.Count);
            long modelEarliest = model.Count == 0 ? long.MaxValue : model.Values.Min(v => v.Expiry);
            Assert.Equal(modelEarliest, q.EarliestExpiry);
        }
        Assert.Equal(firedModel, firedQueue);
    }
}
