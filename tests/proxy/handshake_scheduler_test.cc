#include "proxy/handshake_scheduler.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tlsgate {
namespace {

// The names of the handshakes that had a turn, in order.
using Trace = std::vector<std::string>;

// Spends `ns` of CPU without yielding, as a handshake step does.
void spin(uint64_t ns) {
  const uint64_t start = uv_hrtime();
  while (uv_hrtime() - start < ns) {
  }
}

// A handshake as the scheduler sees it: a turn whose step writes its name
// into the trace (marked when the turn was not granted), then does what the
// test asks of it.
class RecordedHandshake {
 public:
  RecordedHandshake(std::string name, Trace& trace) : name_(std::move(name)) {
    turn.resume = [this, &trace] {
      trace.push_back(turn.take() ? name_ : name_ + " (not granted)");
      // A copy: the step may destroy this handshake, and with it `then`.
      const std::function<void()> step = then;
      if (step) {
        step();
      }
    };
  }

  HandshakeTurn turn;
  std::function<void()> then;

 private:
  std::string name_;
};

// A scheduler on a loop of the test's own, as a worker has it.
class HandshakeSchedulerTest : public ::testing::Test {
 protected:
  HandshakeSchedulerTest() {
    uv_loop_init(&loop_);
    scheduler.open(&loop_);
  }

  // Every handle the scheduler opened closes, and nothing is left on the loop.
  ~HandshakeSchedulerTest() override {
    scheduler.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle is still open";
  }

  HandshakeSchedulerTest(const HandshakeSchedulerTest&) = delete;
  HandshakeSchedulerTest& operator=(const HandshakeSchedulerTest&) = delete;
  HandshakeSchedulerTest(HandshakeSchedulerTest&&) = delete;
  HandshakeSchedulerTest& operator=(HandshakeSchedulerTest&&) = delete;

  // One loop iteration, without waiting for I/O: one drain of the queue.
  // What it ran.
  Trace iteration() {
    uv_run(&loop_, UV_RUN_NOWAIT);
    return std::exchange(trace, {});
  }

  // Iterations until the queue is empty (at most 100), each as it ran.
  std::vector<Trace> iterationsUntilEmpty() {
    std::vector<Trace> out;
    while (scheduler.queued() > 0 && out.size() < 100) {
      out.push_back(iteration());
    }
    return out;
  }

  static Trace joined(const std::vector<Trace>& iterations) {
    Trace out;
    for (const Trace& ran : iterations) {
      out.insert(out.end(), ran.begin(), ran.end());
    }
    return out;
  }

  uv_loop_t* loop() { return &loop_; }

  Trace trace;
  std::vector<bool> notifications;  // on_full(true) or on_full(false), in order
  HandshakeScheduler scheduler{[this](bool full) { notifications.push_back(full); }};

 private:
  uv_loop_t loop_{};
};

// ---------------------------------------------------------------- the queue

TEST_F(HandshakeSchedulerTest, AHandshakeQueuedFirstRunsFirst) {
  RecordedHandshake a("a", trace);
  RecordedHandshake b("b", trace);
  RecordedHandshake c("c", trace);
  scheduler.enqueue(b.turn);
  scheduler.enqueue(c.turn);
  scheduler.enqueue(a.turn);
  EXPECT_EQ(scheduler.queued(), 3U);
  EXPECT_TRUE(b.turn.queued());
  // Nothing runs until the loop's check after its poll.
  EXPECT_TRUE(trace.empty());

  EXPECT_EQ(joined(iterationsUntilEmpty()), (Trace{"b", "c", "a"}));
  EXPECT_EQ(scheduler.queued(), 0U);
  EXPECT_FALSE(b.turn.queued());
}

TEST_F(HandshakeSchedulerTest, AHandshakeQueuedTwiceHasOnePlace) {
  RecordedHandshake a("a", trace);
  RecordedHandshake b("b", trace);
  scheduler.enqueue(a.turn);
  scheduler.enqueue(b.turn);
  scheduler.enqueue(a.turn);
  EXPECT_EQ(scheduler.queued(), 2U);
  EXPECT_EQ(joined(iterationsUntilEmpty()), (Trace{"a", "b"}));
}

TEST_F(HandshakeSchedulerTest, TheTurnIsGrantedOnceAndOnlyWhenItComes) {
  RecordedHandshake a("a", trace);
  scheduler.enqueue(a.turn);
  EXPECT_FALSE(a.turn.take()) << "queued is not granted";
  bool taken_again = true;
  a.then = [&] { taken_again = a.turn.take(); };
  EXPECT_EQ(iteration(), Trace{"a"});  // and not "a (not granted)"
  EXPECT_FALSE(taken_again);
  EXPECT_FALSE(a.turn.take());
}

// A step that needs another turn queues again: it goes behind everything
// already queued, and waits for the next iteration even if time is left.
TEST_F(HandshakeSchedulerTest, AHandshakeQueuedAgainGoesToTheBackAndWaitsForTheNextIteration) {
  RecordedHandshake a("a", trace);
  RecordedHandshake b("b", trace);
  RecordedHandshake c("c", trace);
  int a_turns = 0;
  a.then = [&] {
    if (++a_turns == 1) {
      scheduler.enqueue(a.turn);
    }
  };
  scheduler.enqueue(a.turn);
  scheduler.enqueue(b.turn);
  scheduler.enqueue(c.turn);

  const std::vector<Trace> iterations = iterationsUntilEmpty();
  EXPECT_EQ(joined(iterations), (Trace{"a", "b", "c", "a"}));
  for (const Trace& ran : iterations) {
    EXPECT_LE(std::count(ran.begin(), ran.end(), "a"), 1) << "a ran twice in one iteration";
  }
}

// ---------------------------------------------------------------- the slice

// Steps of 50 µs, far more than one slice holds: the first iteration runs
// steps until a slice is spent and stops there. Both bounds hold whatever
// else the machine does: a step follows only one that ended within the
// slice, and the iteration ends only once the slice is spent (or the queue
// is empty).
TEST_F(HandshakeSchedulerTest, AnIterationRunsStepsForOneSlice) {
  constexpr std::size_t kSteps = 100;
  constexpr uint64_t kStepNs = 50'000;
  static_assert(kSteps * kStepNs > 2 * HandshakeScheduler::kSliceNs);
  std::vector<uint64_t> starts;
  std::vector<uint64_t> ends;
  std::vector<std::unique_ptr<RecordedHandshake>> handshakes;
  for (std::size_t i = 0; i < kSteps; ++i) {
    auto& handshake =
        handshakes.emplace_back(std::make_unique<RecordedHandshake>(std::to_string(i), trace));
    handshake->then = [&starts, &ends] {
      starts.push_back(uv_hrtime());
      spin(kStepNs);
      ends.push_back(uv_hrtime());
    };
    scheduler.enqueue(handshake->turn);
  }

  const uint64_t before = uv_hrtime();
  const Trace first = iteration();
  const uint64_t after = uv_hrtime();
  ASSERT_FALSE(first.empty());
  EXPECT_LT(first.size(), kSteps);
  EXPECT_EQ(scheduler.queued(), kSteps - first.size());
  EXPECT_GE(after - before, HandshakeScheduler::kSliceNs) << "the iteration stopped early";
  // The slice began before the first step started.
  if (first.size() >= 2) {
    EXPECT_LT(ends.at(first.size() - 2) - starts.front(), HandshakeScheduler::kSliceNs)
        << "a step ran after the slice was spent";
  }

  // The rest follows, in order, in later iterations.
  Trace all = first;
  const Trace rest = joined(iterationsUntilEmpty());
  all.insert(all.end(), rest.begin(), rest.end());
  ASSERT_EQ(all.size(), kSteps);
  for (std::size_t i = 0; i < kSteps; ++i) {
    EXPECT_EQ(all[i], std::to_string(i));
  }
}

// One step longer than the slice still runs, and is the only one.
TEST_F(HandshakeSchedulerTest, AnIterationRunsOneStepEvenIfItOutlastsTheSlice) {
  RecordedHandshake a("a", trace);
  RecordedHandshake b("b", trace);
  a.then = [] { spin(HandshakeScheduler::kSliceNs); };
  b.then = [] { spin(HandshakeScheduler::kSliceNs); };
  scheduler.enqueue(a.turn);
  scheduler.enqueue(b.turn);
  EXPECT_EQ(iteration(), Trace{"a"});
  EXPECT_EQ(iteration(), Trace{"b"});
  EXPECT_EQ(scheduler.queued(), 0U);
}

// Steps left over keep the next poll from waiting: the loop goes on to them
// at once, however long its other handles would let it sleep.
TEST_F(HandshakeSchedulerTest, StepsLeftOverKeepTheLoopFromBlocking) {
  uv_timer_t far_away{};
  bool fired = false;
  far_away.data = &fired;
  uv_timer_init(loop(), &far_away);
  uv_timer_start(
      &far_away, [](uv_timer_t* timer) { *static_cast<bool*>(timer->data) = true; }, 5000, 0);

  RecordedHandshake a("a", trace);
  RecordedHandshake b("b", trace);
  a.then = [] { spin(HandshakeScheduler::kSliceNs); };
  scheduler.enqueue(a.turn);
  scheduler.enqueue(b.turn);
  EXPECT_EQ(iteration(), Trace{"a"});
  uv_run(loop(), UV_RUN_ONCE);  // would wait 5 s for the timer if it blocked
  EXPECT_EQ(std::exchange(trace, {}), Trace{"b"});
  EXPECT_FALSE(fired);

  uv_close(reinterpret_cast<uv_handle_t*>(&far_away), nullptr);
  uv_run(loop(), UV_RUN_NOWAIT);
}

// A worker's loop ends once nothing else is open: the scheduler keeps it
// alive only while steps wait.
TEST_F(HandshakeSchedulerTest, AnEmptyQueueDoesNotKeepTheLoopAlive) {
  EXPECT_EQ(uv_loop_alive(loop()), 0);
  RecordedHandshake a("a", trace);
  scheduler.enqueue(a.turn);
  EXPECT_NE(uv_loop_alive(loop()), 0);
  EXPECT_EQ(iteration(), Trace{"a"});
  EXPECT_EQ(uv_loop_alive(loop()), 0);
}

// ---------------------------------------------------------------- removal

// A connection that closes while its handshake waits leaves the queue:
// from its head, its middle or its end.
TEST_F(HandshakeSchedulerTest, AHandshakeThatClosesWhileQueuedLeavesTheQueue) {
  RecordedHandshake a("a", trace);
  RecordedHandshake c("c", trace);
  auto b = std::make_unique<RecordedHandshake>("b", trace);
  auto d = std::make_unique<RecordedHandshake>("d", trace);
  scheduler.enqueue(a.turn);
  scheduler.enqueue(b->turn);
  scheduler.enqueue(c.turn);
  scheduler.enqueue(d->turn);
  b.reset();
  d.reset();
  scheduler.remove(a.turn);
  EXPECT_FALSE(a.turn.queued());
  EXPECT_EQ(scheduler.queued(), 1U);

  // What is left is still one queue, with its end in the right place.
  RecordedHandshake e("e", trace);
  scheduler.enqueue(e.turn);
  scheduler.enqueue(a.turn);
  EXPECT_EQ(joined(iterationsUntilEmpty()), (Trace{"c", "e", "a"}));
}

// A step may close another connection (or its own) in the same iteration.
TEST_F(HandshakeSchedulerTest, AHandshakeClosedByAnEarlierStepDoesNotRun) {
  RecordedHandshake a("a", trace);
  auto b = std::make_unique<RecordedHandshake>("b", trace);
  auto c = std::make_unique<RecordedHandshake>("c", trace);
  RecordedHandshake d("d", trace);
  a.then = [&] { b.reset(); };
  c->then = [&] { c.reset(); };
  for (HandshakeTurn* turn : {&a.turn, &b->turn, &c->turn, &d.turn}) {
    scheduler.enqueue(*turn);
  }
  EXPECT_EQ(joined(iterationsUntilEmpty()), (Trace{"a", "c", "d"}));
  EXPECT_EQ(c, nullptr);
}

TEST_F(HandshakeSchedulerTest, RemovingAHandshakeThatIsNotQueuedChangesNothing) {
  RecordedHandshake a("a", trace);
  RecordedHandshake b("b", trace);
  scheduler.enqueue(a.turn);
  scheduler.remove(b.turn);
  EXPECT_EQ(scheduler.queued(), 1U);
  EXPECT_EQ(iteration(), Trace{"a"});
}

// ---------------------------------------------------------------- the count

TEST_F(HandshakeSchedulerTest, TheLimitPausesAcceptingOnceAndResumesOnce) {
  scheduler.setLimit(2);
  EXPECT_TRUE(notifications.empty());
  scheduler.started();
  EXPECT_EQ(scheduler.inProgress(), 1U);
  EXPECT_FALSE(scheduler.full());
  EXPECT_TRUE(notifications.empty());

  scheduler.started();
  EXPECT_EQ(scheduler.inProgress(), 2U);
  EXPECT_TRUE(scheduler.full());
  EXPECT_EQ(notifications, std::vector<bool>{true});

  // One accepted before the pause took effect goes over; no second pause.
  scheduler.started();
  EXPECT_EQ(scheduler.inProgress(), 3U);
  scheduler.finished();
  EXPECT_TRUE(scheduler.full());
  EXPECT_EQ(notifications, std::vector<bool>{true});

  scheduler.finished();
  EXPECT_EQ(scheduler.inProgress(), 1U);
  EXPECT_FALSE(scheduler.full());
  EXPECT_EQ(notifications, (std::vector<bool>{true, false}));

  scheduler.finished();
  EXPECT_EQ(scheduler.inProgress(), 0U);
  EXPECT_EQ(notifications, (std::vector<bool>{true, false}));
}

TEST_F(HandshakeSchedulerTest, ANewLimitPausesOrResumesAtOnce) {
  scheduler.setLimit(10);
  for (int i = 0; i < 3; ++i) {
    scheduler.started();
  }
  EXPECT_TRUE(notifications.empty());
  scheduler.setLimit(3);  // a reload lowers max_handshakes
  EXPECT_TRUE(scheduler.full());
  EXPECT_EQ(notifications, std::vector<bool>{true});
  scheduler.setLimit(4);
  EXPECT_FALSE(scheduler.full());
  EXPECT_EQ(notifications, (std::vector<bool>{true, false}));
  for (int i = 0; i < 3; ++i) {
    scheduler.finished();
  }
}

TEST_F(HandshakeSchedulerTest, NoLimitNeverPauses) {
  for (int i = 0; i < 5000; ++i) {
    scheduler.started();
  }
  EXPECT_EQ(scheduler.inProgress(), 5000U);
  EXPECT_FALSE(scheduler.full());
  EXPECT_TRUE(notifications.empty());
}

}  // namespace
}  // namespace tlsgate
