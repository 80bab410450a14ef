"""Follow-ups in Slack: a thread and a direct message channel are each one conversation, kept
in the database, against the local Web API stand-in."""

import json


def mention(slack, text, ts, thread_ts=None, channel="C0GENERAL"):
    event = {"type": "app_mention", "user": "U_MEMBER", "text": f"<@UBOT> {text}"}
    event |= {"channel": channel, "ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return slack.event(event)


def test_a_follow_up_in_a_thread_refers_to_the_question_before(slack):
    mention(slack, "what does ILO lead", "1578650000.000100")
    [first] = slack.api.wait_for("chat.postMessage")
    assert first.body["text"].startswith("6 open items that ILO leads:")
    mention(slack, "and for IOM?", "1578650000.000200", thread_ts="1578650000.000100")
    posts = slack.api.wait_for("chat.postMessage", count=2)
    assert posts[1].body["thread_ts"] == "1578650000.000100"
    assert posts[1].body["text"].startswith("14 open items that IOM leads:")
    mention(slack, "more", "1578650000.000300", thread_ts="1578650000.000100")
    posts = slack.api.wait_for("chat.postMessage", count=3)
    more = posts[2].body["text"]
    assert more.startswith("14 open items that IOM leads:")
    assert set(more.splitlines()[1:6]).isdisjoint(posts[1].body["text"].splitlines()[1:6])
    # another thread knows nothing of this one
    mention(slack, "and for IOM?", "1578650000.000400")
    posts = slack.api.wait_for("chat.postMessage", count=4)
    assert not posts[3].body["text"].startswith("14 open items that IOM leads")


def test_a_follow_up_in_a_direct_message_and_in_french(slack):
    def message(text, ts):
        return slack.event(
            {
                "type": "message",
                "channel_type": "im",
                "user": "U_ILO",
                "text": text,
                "channel": "D0ILO",
                "ts": ts,
            }
        )

    message("qu'est-ce qui est dû ce mois-ci ?", "1578650000.000500")
    [first] = slack.api.wait_for("chat.postMessage")
    assert first.body["text"].startswith("6 éléments à échéance en janvier 2020 :")
    message("et le mois prochain ?", "1578650000.000600")
    posts = slack.api.wait_for("chat.postMessage", count=2)
    assert posts[1].body["text"].startswith("Aucun élément à échéance en février 2020.")


def test_show_all_in_a_thread_fits_one_slack_message(slack):
    """Slack takes at most 50 blocks a message: the whole list of 66 open items is cut, and
    says how many more the full list has."""
    mention(slack, "what is open", "1578650000.000500")
    slack.api.wait_for("chat.postMessage")
    mention(slack, "show all", "1578650000.000600", thread_ts="1578650000.000500")
    posts = slack.api.wait_for("chat.postMessage", count=2)
    blocks = posts[1].body["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert posts[1].body["text"].startswith("66 open items")
    assert len(blocks) <= 50
    assert "…and 26 more" in json.dumps(blocks, ensure_ascii=False)
