"""The background match queue's rules (application.match_ahead.MatchPlan), without Qt: review order
from the photo under review, a box edit drops a ranking computed for the old box, a confirm makes
stale exactly the rankings that list the confirmed individual, a ranking that was running during
the confirm is accepted only if the change cannot affect it, and a model change redoes all."""

from __future__ import annotations

from whaleid_gui.application.match_ahead import MatchPlan, review_order
from whaleid_gui.application.match_photos import CandidateView, MatchResult
from whaleid_gui.application.project_engine import EngineConfig


def ranking(photo_id: int, *codes: str) -> MatchResult:
    cands = [CandidateView(rank=i + 1, code=c, score=0.9 - 0.1 * i) for i, c in enumerate(codes)]
    return MatchResult(photo_id, cands, 0.5, "w", "CPU", 10, 5, "12:00:00", 0.1)


def run(plan: MatchPlan, results: dict, codes: dict) -> list[int]:
    """Let the queue match everything it wants to (as its thread would); returns the order."""
    done = []
    while (claim := plan.claim()) is not None:
        plan.computed(claim)
        result = ranking(claim.photo_id, *codes[claim.photo_id])
        if plan.deliver(claim, result) != "dropped":
            results[claim.photo_id] = result
        done.append(claim.photo_id)
    return done


def test_the_queue_matches_in_review_order_from_the_photo_under_review():
    plan = MatchPlan()
    assert plan.claim() is None  # no engine yet: nothing runs
    plan.set_engine(EngineConfig())
    plan.set_order(review_order([5, 1, 2, 3, 4], {1: "needs_decision", 2: "needs_box", 3: "needs_decision",
                                                  4: "done", 5: "needs_decision"}))
    plan.set_current(3)
    assert plan.pending() == [3, 5, 1]
    claim = plan.claim()
    assert claim.photo_id == 3 and plan.is_claimed(3)
    plan.computed(claim)
    assert plan.claim().photo_id == 5  # 3's ranking is on its way to the GUI thread: not claimed twice


def test_a_box_edit_drops_the_ranking_of_the_old_box():
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1])
    claim = plan.claim()
    plan.invalidate(1)  # the reviewer moved the box while it was being matched
    plan.computed(claim)
    assert plan.deliver(claim, ranking(1, "A")) == "dropped" and not plan.has_ranking(1)
    again = plan.claim()
    assert again.photo_id == 1 and again.generation == claim.generation + 1
    assert plan.deliver(again, ranking(1, "A")) == "fresh" and plan.has_ranking(1)


def test_a_confirm_makes_stale_the_rankings_that_list_the_individual():
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2, 3])
    results: dict = {}
    codes = {1: ("A", "B"), 2: ("B", "C"), 3: ("C", "D")}
    assert run(plan, results, codes) == [1, 2, 3]
    assert plan.catalog_changed({"B"}, results) == [1, 2]
    assert plan.is_stale(1) and plan.is_stale(2) and not plan.is_stale(3)
    assert run(plan, results, codes) == [1, 2]  # refreshed, 3 untouched
    assert not any(plan.is_stale(i) for i in (1, 2, 3))


def test_a_ranking_running_during_a_confirm_is_stale_only_if_it_lists_the_individual():
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2])
    first = plan.claim()
    plan.catalog_changed({"B"}, {})
    plan.computed(first)
    assert plan.deliver(first, ranking(1, "A", "B")) == "stale" and plan.is_stale(1)
    second = plan.claim()
    assert second.photo_id == 1  # redone first (the photo under review's order)
    plan.computed(second)
    assert plan.deliver(second, ranking(1, "A", "B")) == "fresh"
    third = plan.claim()
    plan.catalog_changed({"Z"}, {})
    plan.computed(third)
    assert plan.deliver(third, ranking(2, "A", "C")) == "fresh"


def test_another_model_redoes_every_ranking():
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2])
    run(plan, {}, {1: ("A",), 2: ("B",)})
    assert plan.pending() == []
    plan.set_engine(EngineConfig(rerank="keypoints"))
    assert plan.pending() == [1, 2] and not plan.has_ranking(1)


def test_after_a_key_press_the_queue_holds_off_unless_the_reviewer_waits_for_a_photo():
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2])
    plan.hold_off(30)
    assert plan.claim() is None and plan.pending() == [1, 2]
    plan.hold_off(0)  # the photo under review has no ranking: it is matched now
    assert plan.claim().photo_id == 1


def test_a_new_individual_makes_stale_the_rankings_that_put_new_whale_first():
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2])
    results: dict = {}
    run(plan, results, {1: ("new_whale", "A"), 2: ("A", "new_whale")})
    assert plan.catalog_changed({"NEW-1"}, results, new_individual=True) == [1]
    assert plan.is_stale(1) and not plan.is_stale(2)


def test_the_reviewer_waiting_for_a_photo_keeps_the_ranking_on_its_way_and_retries_a_failed_one():
    """Opening a photo whose ranking is running must not drop it (at a project's opening that cost
    the first candidates a second on two cores); Match again (invalidate) still does."""
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2])
    running = plan.claim()
    plan.retry(1)  # the reviewer opens photo 1 while it is being matched
    plan.computed(running)
    assert plan.deliver(running, ranking(1, "A")) == "fresh" and plan.has_ranking(1)
    failing = plan.claim()
    plan.failed(failing)
    assert failing.photo_id == 2 and plan.pending() == []  # a failure is not retried on its own
    plan.retry(2)  # ... but when the reviewer opens the photo
    assert plan.claim().photo_id == 2


def test_while_the_reviewers_action_is_drawn_another_photos_ranking_waits_between_steps():
    """hold_off after a key press: a ranking under way for another photo pauses at its next step
    (its Python steps took the GIL from the GUI thread drawing the next photo, issue 15); the
    photo on screen never waits, and the pause ends with the hold-off."""
    import threading

    plan = MatchPlan()
    plan.set_current(1)
    plan.hold_off(30.0)
    resumed = threading.Event()
    other = threading.Thread(target=lambda: (plan.yield_to_reviewer(2), resumed.set()), daemon=True)
    other.start()
    assert not resumed.wait(0.3)  # photo 2's ranking waits
    plan.yield_to_reviewer(1)  # the reviewer's photo goes on (this would block 30 s otherwise)
    plan.hold_off(0.0)
    assert resumed.wait(5.0)
    # the photo on screen has no ranking yet: nothing pauses, the queue is to reach it soon
    plan.set_order([1, 2])
    plan.hold_off(30.0)
    plan.yield_to_reviewer(2)  # returns at once (this would block 30 s otherwise)


def three_ranked_and_a_fourth_on_its_way():
    """Photos 1-3 ranked (listing A, B, C), photo 4 claimed by the queue."""
    plan = MatchPlan()
    plan.set_engine(EngineConfig())
    plan.set_order([1, 2, 3])
    results: dict = {}
    codes = {1: ["A"], 2: ["B"], 3: ["C"]}
    run(plan, results, codes)
    plan.set_order([1, 2, 3, 4])
    return plan, results, codes, plan.claim()


def test_a_catalog_page_change_ranks_every_photo_again_and_drops_the_one_on_its_way():
    plan, results, codes, claim = three_ranked_and_a_fourth_on_its_way()
    assert claim.photo_id == 4
    plan.rank_everything_again()  # a rename or merge: no list of individuals says what changed
    plan.computed(claim)
    assert plan.deliver(claim, ranking(4, "D")) == "dropped"
    assert not any(plan.has_ranking(p) for p in (1, 2, 3, 4))
    assert run(plan, results, codes | {4: ["D"]}) == [1, 2, 3, 4]


def test_a_catalog_page_edit_drops_the_rankings_that_list_it_and_the_one_on_its_way():
    plan, results, codes, claim = three_ranked_and_a_fourth_on_its_way()
    plan.computed(claim)  # 4's ranking is on its way: it may list the merged individual too
    plan.catalog_edited([1])  # a merge of A: 1's ranking listed it
    assert plan.deliver(claim, ranking(4, "A")) == "dropped"
    assert not plan.has_ranking(1) and plan.has_ranking(2) and plan.has_ranking(3)
    assert run(plan, results, codes | {4: ["D"]}) == [1, 4]


def test_the_queue_expects_only_photos_in_its_order_once_it_has_one():
    plan = MatchPlan()
    assert plan.expects(7)  # a project opening: the order comes a turn later
    plan.set_order([1, 2])
    assert plan.expects(1) and not plan.expects(7)  # 7: decided, opened from the "Done" list
    plan.set_order([])
    assert not plan.expects(1)
